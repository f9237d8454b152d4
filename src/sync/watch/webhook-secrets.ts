/**
 * The signing secrets a webhook receiver should accept for one bucket: those of the bucket's enabled
 * rules whose prefix covers the watched prefix or lies under it, plus any given explicitly (e.g. from
 * B2SYNC_EVENTS_SECRET, read by the CLI). Reading the rules needs readBucketNotifications.
 */
import type { B2Api } from '../../client/api.js';

export async function webhookSecrets(
  api: Pick<B2Api, 'getBucketNotificationRules'>,
  bucketId: string,
  prefix: string,
  extra: readonly string[] = [],
): Promise<string[]> {
  const { eventNotificationRules: rules } = await api.getBucketNotificationRules(bucketId);
  const out = new Set<string>(extra.filter((s) => s.length > 0));
  for (const r of rules) {
    const secret = r.targetConfiguration.hmacSha256SigningSecret;
    const related = r.objectNamePrefix.startsWith(prefix) || prefix.startsWith(r.objectNamePrefix);
    if (secret && r.isEnabled && related) out.add(secret);
  }
  return [...out];
}
