/** Event notification rules: b2_get_bucket_notification_rules, b2_set_bucket_notification_rules (v4). */
import type { NotificationRuleRequest, NotificationRulesResponse } from '../wire/notifications.js';
import type { ClientCore } from './core.js';

export function getBucketNotificationRules(core: ClientCore, bucketId: string): Promise<NotificationRulesResponse> {
  return core.api<NotificationRulesResponse>('b2_get_bucket_notification_rules', { bucketId });
}

/** Replaces every rule of the bucket with `rules` (an empty list removes them all). */
export function setBucketNotificationRules(
  core: ClientCore,
  bucketId: string,
  rules: readonly NotificationRuleRequest[],
): Promise<NotificationRulesResponse> {
  return core.api<NotificationRulesResponse>('b2_set_bucket_notification_rules', {
    bucketId,
    eventNotificationRules: rules.map((r) => ({
      name: r.name,
      eventTypes: r.eventTypes,
      objectNamePrefix: r.objectNamePrefix,
      isEnabled: r.isEnabled,
      targetConfiguration: r.targetConfiguration,
    })),
  });
}
