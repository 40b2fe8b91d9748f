-- Access log of nominative reads (read API, issue 6; reused by the alerts service, issue 7): one
-- row per response that disclosed learners' identities: who (role, token subject, scope), when,
-- which route with which parameters, for which reference date, and how many rows. No personal
-- data here: the parameters are the validated filters (codes), never names.
CREATE TABLE IF NOT EXISTS {db}.acces_nominatifs (
  at DateTime,
  request_id String,
  role String,
  sujet String,
  perimetre Array(String),
  route String,
  parametres String,
  date_reference Date,
  lignes UInt32
) ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (role, sujet, at);
