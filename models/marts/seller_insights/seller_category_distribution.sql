{{
    config(
        meta={'cadence': 'hourly'},
        unique_key=['seller_id', 'category_name'],
        unique_key_index_name='idx_seller_categories_key',
    )
}}

-- Graph 3: per seller and category, the units sold on the seller's past valid bundles; a
-- bundle with n categories gives each a 1/n share of its sales, one without any counts as
-- 'Uncategorized', so a seller's slices add up to its sales.
with

bundles as (

    select * from {{ ref('int_seller_insights__bundle_sales') }}
    where not is_future

),

bundle_categories as (

    select * from {{ ref('stg_seller_insights__bundle_categories') }}

),

categories as (

    select * from {{ ref('stg_seller_insights__categories') }}

),

-- Each bundle's known categories (an id not in categories is ignored) with its count of them.
tagged as (

    select
        bundle_categories.bundle_id,
        categories.category_name,
        count(*) over (partition by bundle_categories.bundle_id) as bundle_category_count

    from bundle_categories
    inner join categories on bundle_categories.category_id = categories.category_id

)

select
    bundles.seller_id,
    coalesce(tagged.category_name, 'Uncategorized') as category_name,
    round(sum(bundles.sold_units::numeric / coalesce(tagged.bundle_category_count, 1)), 2)
        as sold_units,
    count(distinct bundles.bundle_id) as bundles

from bundles
left join tagged on bundles.bundle_id = tagged.bundle_id
group by bundles.seller_id, coalesce(tagged.category_name, 'Uncategorized')
