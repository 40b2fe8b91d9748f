-- The type_cfa dimension (SIFA type of CFA, streams/facts/descriptors.ts): a column after the
-- last dimension of each fact table. Rows written before hold '' (unknown) until their record's
-- next version replaces or cancels them. Not in effectifs_territoire (not territorial).
ALTER TABLE {db}.dossiers ADD COLUMN type_cfa String AFTER apprentissage;
ALTER TABLE {db}.statut_intervalles ADD COLUMN type_cfa String AFTER apprentissage;
ALTER TABLE {db}.effectifs_deltas ADD COLUMN type_cfa String AFTER apprentissage;
