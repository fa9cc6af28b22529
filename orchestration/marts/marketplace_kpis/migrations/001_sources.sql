-- The marketplace KPI mart's sources: the auto-parts marketplace's operational tables in schema
-- marketplace. Clients (clientes) post requests (solicitudes) for a part of their vehicle;
-- advisors (asesores) at sales points are notified (notificaciones) and send offers (ofertas);
-- the marketplace picks a winning offer, the client accepts or rejects it, and the part is
-- delivered (entregas); advisors are audited (auditorias). Names are Spanish, as the
-- application's. Applied by `analytics db migrate`; every statement is idempotent.
--
-- Few check constraints: the analytics database gets what the application wrote, so the views
-- must cope with NULL cities, negative amounts, offers after a request closed and requests
-- closed before they were created (the mart's yml says how each is counted).

create schema if not exists marketplace;
comment on schema marketplace is 'The auto-parts marketplace''s operational tables (requests, offers, advisors). Read-only for analytics.';

create table if not exists marketplace.clientes (
    id           uuid primary key,
    nombre       text not null,
    email        text,
    ciudad       text,
    departamento text,
    created_at   timestamptz not null default now()
);
comment on table marketplace.clientes is 'Clients who post requests for vehicle parts.';
comment on column marketplace.clientes.nombre is 'Full name (may hold accents and ñ).';
comment on column marketplace.clientes.ciudad is 'City of the client''s profile; NULL when not given.';
comment on column marketplace.clientes.departamento is 'Colombian department (state) of the city.';
comment on column marketplace.clientes.created_at is 'When the client signed up.';

create table if not exists marketplace.asesores (
    id                      uuid primary key,
    nombre                  text not null,
    email                   text,
    telefono                text,
    ciudad                  text,
    departamento            text,
    punto_venta             text,
    confianza               numeric(3, 2),
    nivel_actual            smallint,
    estado                  text not null default 'ACTIVO',
    actividad_reciente_pct  numeric(5, 2),
    desempeno_historico_pct numeric(5, 2),
    created_at              timestamptz not null default now(),
    updated_at              timestamptz not null default now()
);
comment on table marketplace.asesores is 'Advisors: sellers at a sales point who answer requests with offers. One city each (the one they are ranked in).';
comment on column marketplace.asesores.ciudad is 'City of the advisor''s sales point; NULL when not given.';
comment on column marketplace.asesores.departamento is 'Colombian department (state) of the city.';
comment on column marketplace.asesores.punto_venta is 'Name of the sales point (store) the advisor works at.';
comment on column marketplace.asesores.confianza is 'Trust score from 1.00 to 5.00 the marketplace keeps for the advisor (updated by audits and outcomes).';
comment on column marketplace.asesores.nivel_actual is 'Current level, 1 (new) to 5 (top), which decides how early the advisor is notified.';
comment on column marketplace.asesores.estado is 'ACTIVO, INACTIVO, SUSPENDIDO or BLOQUEADO.';
comment on column marketplace.asesores.actividad_reciente_pct is 'The application''s own recent-activity score, 0 to 100, as it last computed it.';
comment on column marketplace.asesores.desempeno_historico_pct is 'The application''s own historical-performance score, 0 to 100, as it last computed it.';

create table if not exists marketplace.solicitudes (
    id                  uuid primary key,
    cliente_id          uuid not null references marketplace.clientes (id),
    ciudad_origen       text,
    departamento_origen text,
    marca_vehiculo      text,
    linea_vehiculo      text,
    anio_vehiculo       smallint,
    estado              text not null default 'ABIERTA',
    created_at          timestamptz not null default now(),
    fecha_cierre        timestamptz,
    updated_at          timestamptz not null default now()
);
comment on table marketplace.solicitudes is 'Requests: a client asks for a part for a vehicle in a city; advisors of that city are notified and offer.';
comment on column marketplace.solicitudes.ciudad_origen is 'City the part is needed in; NULL when not given.';
comment on column marketplace.solicitudes.marca_vehiculo is 'Vehicle brand (Chevrolet, Renault ...), as the client chose it.';
comment on column marketplace.solicitudes.estado is 'ABIERTA (collecting offers), EVALUADA (winner picked, client deciding), ACEPTADA, RECHAZADA (client rejected the winner), EXPIRADA (no decision in time), CERRADA_SIN_OFERTAS (closed with no offer).';
comment on column marketplace.solicitudes.created_at is 'When the client posted the request.';
comment on column marketplace.solicitudes.fecha_cierre is 'When the request was closed (accepted, rejected, expired or closed without offers); NULL while open.';

create table if not exists marketplace.ofertas (
    id                  uuid primary key,
    solicitud_id        uuid not null references marketplace.solicitudes (id),
    asesor_id           uuid not null references marketplace.asesores (id),
    monto_total         numeric(14, 2) not null,
    tiempo_entrega_dias smallint,
    garantia_meses      smallint,
    es_ganadora         boolean not null default false,
    estado              text not null default 'ENVIADA',
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now()
);
comment on table marketplace.ofertas is 'Offers: an advisor''s price, delivery time and warranty for a request. At most one offer of a request wins.';
comment on column marketplace.ofertas.monto_total is 'Price offered, in Colombian pesos, delivery included.';
comment on column marketplace.ofertas.tiempo_entrega_dias is 'Promised delivery time in days.';
comment on column marketplace.ofertas.garantia_meses is 'Warranty offered, in months.';
comment on column marketplace.ofertas.es_ganadora is 'True for the offer the marketplace picked as the best of its request (before the client decides).';
comment on column marketplace.ofertas.estado is 'ENVIADA (waiting), NO_SELECCIONADA (another offer won), GANADORA (won, client deciding), ACEPTADA (won and accepted by the client), RECHAZADA (won, rejected by the client), EXPIRADA (the request expired).';
comment on column marketplace.ofertas.created_at is 'When the advisor sent the offer.';

create table if not exists marketplace.entregas (
    id            uuid primary key,
    oferta_id     uuid not null references marketplace.ofertas (id),
    estado        text not null default 'EN_CURSO',
    fecha_entrega timestamptz,
    created_at    timestamptz not null default now()
);
comment on table marketplace.entregas is 'Deliveries of accepted offers; a failed delivery may be retried (another row for the offer).';
comment on column marketplace.entregas.estado is 'EN_CURSO, EXITOSA (the client received the part) or FALLIDA.';
comment on column marketplace.entregas.fecha_entrega is 'When the delivery ended (delivered or failed); NULL while under way.';

create table if not exists marketplace.auditorias (
    id                 uuid primary key,
    asesor_id          uuid not null references marketplace.asesores (id),
    confianza_auditada numeric(3, 2),
    fecha_auditoria    timestamptz not null,
    observaciones      text
);
comment on table marketplace.auditorias is 'Audits of advisors by the marketplace''s staff, each with the trust score it found.';
comment on column marketplace.auditorias.confianza_auditada is 'Trust score the audit found, 1.00 to 5.00.';

create table if not exists marketplace.notificaciones (
    id            uuid primary key,
    asesor_id     uuid not null references marketplace.asesores (id),
    solicitud_id  uuid not null references marketplace.solicitudes (id),
    canal         text not null default 'WHATSAPP',
    enviada_at    timestamptz not null,
    respondida_at timestamptz
);
comment on table marketplace.notificaciones is 'Notifications of a request sent to an advisor, and when the advisor responded (opened and answered it).';
comment on column marketplace.notificaciones.canal is 'WHATSAPP, PUSH or EMAIL.';
comment on column marketplace.notificaciones.respondida_at is 'When the advisor responded; NULL if never.';

-- The views read the last 30 days of offers and notifications by time, offers by request
-- and by advisor, and audits per advisor.
create index if not exists solicitudes_created_at_idx on marketplace.solicitudes (created_at);
create index if not exists ofertas_solicitud_id_idx on marketplace.ofertas (solicitud_id);
create index if not exists ofertas_created_at_idx on marketplace.ofertas (created_at);
create index if not exists ofertas_asesor_id_idx on marketplace.ofertas (asesor_id);
create index if not exists entregas_oferta_id_idx on marketplace.entregas (oferta_id);
create index if not exists auditorias_asesor_id_idx on marketplace.auditorias (asesor_id, fecha_auditoria);
create index if not exists notificaciones_enviada_at_idx on marketplace.notificaciones (enviada_at);
create index if not exists notificaciones_asesor_id_idx on marketplace.notificaciones (asesor_id);
