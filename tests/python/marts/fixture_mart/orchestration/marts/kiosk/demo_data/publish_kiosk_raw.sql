-- step: sales
insert into kiosk_raw.sales (id, kiosk_id, sold_at, amount)
select id, kiosk_id, sold_at, amount from kiosk_sim.sales order by id;
