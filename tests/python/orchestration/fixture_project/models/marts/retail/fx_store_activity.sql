{{ config(unique_key='dispensary_id', meta={'cadence': 'hourly'}) }}
select dispensary_id, count(*) as products, sum(snapshots) as snapshots
from {{ ref('fx_snapshot_counts') }}
group by dispensary_id
