/**
 * The events a notification channel can subscribe to, with the label Settings shows. Import-free:
 * the channel form in the browser uses the same list as the server, so a new event cannot be
 * missing from the form.
 */
export const notificationEvents = ["escalation.created", "escalation.sla_breached", "deployment.rolled_back"] as const;
export type NotificationEvent = (typeof notificationEvents)[number];

export const notificationEventLabels: Record<NotificationEvent, string> = {
  "escalation.created": "New escalation",
  "escalation.sla_breached": "SLA breached",
  "deployment.rolled_back": "Deployment rolled back",
};
