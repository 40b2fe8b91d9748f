-- The fact model. No names or contact details in any table except the encrypted identity blob.
-- Dimensions (same columns everywhere): the training organisation (formateur) and its territory,
-- the formation, and the learner's non-identifying attributes.

-- One row per learner record, latest version wins (ReplacingMergeTree on version).
CREATE TABLE IF NOT EXISTS {db}.dossiers (
  record_key String,
  version UInt64,
  person_key String,
  operation Enum8('CREATE' = 1, 'UPDATE' = 2, 'DELETE' = 3, 'NOT_TRANSMITTED' = 4),
  deleted UInt8,
  annee_scolaire String,
  organisme_uai String,
  organisme_siret String,
  organisme_responsable_uai String,
  departement String,
  region String,
  academie String,
  zone_emploi String,
  formation_cfd String,
  formation_rncp String,
  niveau String,
  domaine String,
  tranche_age String,
  sexe String,
  rqth UInt8,
  fiable UInt8,
  apprentissage UInt8,
  code_commune_insee String,
  date_entree Date,
  date_fin Date,
  statut_en_cours Enum8('INSCRIT' = 1, 'APPRENTI' = 2, 'RUPTURANT' = 3, 'ABANDON' = 4, 'FIN_DE_FORMATION' = 5),
  identite_chiffree String,
  ingestion_time DateTime
) ENGINE = ReplacingMergeTree(version)
ORDER BY record_key;

-- The learner's status intervals [debut, fin] (inclusive days), one row per interval, keyed by
-- (record_key, idx). A newer version replaces every slot; slots a shorter parcours no longer
-- uses are overwritten with deleted = 1.
CREATE TABLE IF NOT EXISTS {db}.statut_intervalles (
  record_key String,
  idx UInt8,
  version UInt64,
  deleted UInt8,
  statut Enum8('INSCRIT' = 1, 'APPRENTI' = 2, 'RUPTURANT' = 3, 'ABANDON' = 4, 'FIN_DE_FORMATION' = 5),
  debut Date,
  fin Date,
  annee_scolaire String,
  organisme_uai String,
  organisme_siret String,
  organisme_responsable_uai String,
  departement String,
  region String,
  academie String,
  zone_emploi String,
  formation_cfd String,
  formation_rncp String,
  niveau String,
  domaine String,
  tranche_age String,
  sexe String,
  rqth UInt8,
  fiable UInt8,
  apprentissage UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY (record_key, idx);

-- The read model of every count: each status interval [debut, fin] is +1 on debut and -1 on
-- fin + 1, so the number of learners in status S at date D is sum(delta) over jour <= D. A change
-- of a record cancels its previous intervals (opposite deltas) and adds the new ones. Additive:
-- exact at any time without FINAL. batch_id lets the processor check, after a crash, whether a
-- batch it wrote had landed (exactly-once effect). Not partitioned: one INSERT is then one part,
-- written and made visible atomically, whatever the days it spans.
CREATE TABLE IF NOT EXISTS {db}.effectifs_deltas (
  jour Date,
  statut Enum8('INSCRIT' = 1, 'APPRENTI' = 2, 'RUPTURANT' = 3, 'ABANDON' = 4, 'FIN_DE_FORMATION' = 5),
  delta Int8,
  annee_scolaire String,
  organisme_uai String,
  organisme_siret String,
  organisme_responsable_uai String,
  departement String,
  region String,
  academie String,
  zone_emploi String,
  formation_cfd String,
  formation_rncp String,
  niveau String,
  domaine String,
  tranche_age String,
  sexe String,
  rqth UInt8,
  fiable UInt8,
  apprentissage UInt8,
  record_key String,
  version UInt64,
  batch_id String
) ENGINE = MergeTree
ORDER BY (statut, jour, region, departement, organisme_uai);

-- Status transitions (from new data or elapsed time); replays write the same event_id again.
CREATE TABLE IF NOT EXISTS {db}.transitions (
  event_id String,
  record_key String,
  person_key String,
  version UInt64,
  statut_avant Nullable(Enum8('INSCRIT' = 1, 'APPRENTI' = 2, 'RUPTURANT' = 3, 'ABANDON' = 4, 'FIN_DE_FORMATION' = 5)),
  statut_apres Enum8('INSCRIT' = 1, 'APPRENTI' = 2, 'RUPTURANT' = 3, 'ABANDON' = 4, 'FIN_DE_FORMATION' = 5),
  date_effet Date,
  cause Enum8('NEW_DATA' = 1, 'ELAPSED_TIME' = 2),
  detected_at DateTime,
  organisme_uai String,
  departement String
) ENGINE = ReplacingMergeTree
ORDER BY (record_key, date_effet, event_id);

-- Transmission log per organisation: one row per received batch (API call, file, snapshot).
CREATE TABLE IF NOT EXISTS {db}.transmissions (
  batch_id String,
  received_at DateTime,
  organisme_uai String,
  organisme_siret String,
  connector String,
  erp String,
  recus UInt32,
  acceptes UInt32,
  rejetes UInt32,
  inchanges UInt32,
  crees UInt32,
  modifies UInt32,
  non_transmis UInt32
) ENGINE = ReplacingMergeTree
ORDER BY (organisme_uai, received_at, batch_id);
