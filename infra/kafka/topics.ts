/**
 * The platform's topics. Names are prefixed by the namespace (TDB_NAMESPACE) so that isolated
 * platforms share one broker. Keys: the learner record key (organisation UAI, annee_scolaire,
 * id_erp_apprenant), so that every event of one record lands in the same partition, in order.
 */
import type { Config } from '../config';

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Broker-side topic configuration. */
  config: Record<string, string>;
  /** Avro record type of the values (subject `<topic>-value`, TopicNameStrategy). */
  valueSchema: string;
  description: string;
}

export function topicNames(ns: string) {
  return {
    /** CDC envelopes of learner records (create/update/delete/not transmitted). */
    changes: `${ns}.dossiers-apprenants.changes`,
    /** Latest image of each learner record, compacted (the source of replays). */
    latest: `${ns}.dossiers-apprenants.latest`,
    /** Rejected inputs with their errors (dead-letter topic). */
    deadLetter: `${ns}.dossiers-apprenants.dlq`,
    /** Status transitions of learners (LearnerStatusTransition). */
    transitions: `${ns}.statuts.transitions`,
    /** Dropout alerts for Mission Locale advisors (DropoutAlert). */
    alerts: `${ns}.alertes.decrochage`,
    /** What each transmission of an organisation contained (TransmissionReport). */
    transmissions: `${ns}.transmissions`,
  };
}

export type TopicNames = ReturnType<typeof topicNames>;

const DAY_MS = 24 * 3600 * 1000;

export function topicSpecs(c: Config): TopicSpec[] {
  const t = topicNames(c.TDB_NAMESPACE);
  const p = c.TDB_TOPIC_PARTITIONS;
  return [
    {
      name: t.changes,
      partitions: p,
      config: { 'cleanup.policy': 'delete', 'retention.ms': String(90 * DAY_MS) },
      valueSchema: 'fr.apprentissage.tdb.DossierApprenantChange',
      description: 'CDC envelopes of learner records',
    },
    {
      name: t.latest,
      partitions: p,
      config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0', 'segment.ms': String(DAY_MS) },
      valueSchema: 'fr.apprentissage.tdb.DossierApprenantChange',
      description: 'latest image per learner record (compacted)',
    },
    {
      name: t.deadLetter,
      partitions: p,
      config: { 'cleanup.policy': 'delete', 'retention.ms': String(365 * DAY_MS) },
      valueSchema: 'fr.apprentissage.tdb.RejectedRecord',
      description: 'rejected inputs with their errors',
    },
    {
      name: t.transitions,
      partitions: p,
      config: { 'cleanup.policy': 'delete', 'retention.ms': String(365 * DAY_MS) },
      valueSchema: 'fr.apprentissage.tdb.LearnerStatusTransition',
      description: 'learner status transitions',
    },
    {
      name: t.alerts,
      partitions: p,
      config: { 'cleanup.policy': 'delete', 'retention.ms': String(365 * DAY_MS) },
      valueSchema: 'fr.apprentissage.tdb.DropoutAlert',
      description: 'dropout alerts for Mission Locale advisors',
    },
    {
      name: t.transmissions,
      partitions: p,
      config: { 'cleanup.policy': 'delete', 'retention.ms': String(365 * DAY_MS) },
      valueSchema: 'fr.apprentissage.tdb.TransmissionReport',
      description: 'transmission reports per organisation',
    },
  ];
}
