-- Pre-aggregate of effectifs_deltas by day, status and territory (read API, issue 6): the same
-- signed deltas summed without the record, organisation and formation dimensions, restricted to
-- the counted rows (fiable = 1 AND apprentissage = 1). About 17 times fewer rows: national and
-- territorial indicators and series read it; any other filter reads effectifs_deltas. Reads
-- always sum(n) GROUP BY, so the result is exact whether or not parts have been merged.
CREATE TABLE IF NOT EXISTS {db}.effectifs_territoire (
  statut Enum8('INSCRIT' = 1, 'APPRENTI' = 2, 'RUPTURANT' = 3, 'ABANDON' = 4, 'FIN_DE_FORMATION' = 5),
  jour Date,
  region String,
  departement String,
  academie String,
  n Int64
) ENGINE = SummingMergeTree(n)
ORDER BY (statut, jour, region, departement, academie);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.effectifs_territoire_mv TO {db}.effectifs_territoire AS
SELECT statut, jour, region, departement, academie, toInt64(delta) AS n
FROM {db}.effectifs_deltas
WHERE fiable = 1 AND apprentissage = 1;

-- Deltas written before this migration (a namespace upgraded in place: apply it while the
-- processor is stopped, or rows written in between would be counted twice).
INSERT INTO {db}.effectifs_territoire
SELECT statut, jour, region, departement, academie, sum(toInt64(delta)) AS n
FROM {db}.effectifs_deltas
WHERE fiable = 1 AND apprentissage = 1
GROUP BY statut, jour, region, departement, academie;
