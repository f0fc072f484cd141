/**
 * Slack incoming webhook: a readable message (what broke, how often, where, and a link to
 * the issue) as `text` for notifications plus the same in a mrkdwn block. Slack's mrkdwn
 * needs &, < and > escaped, or an error message could inject links and mentions.
 */
import { type AlertPayload, oneLine, triggerText } from '../message'

const escapeMrkdwn = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')

export function slackMessage(p: AlertPayload): { text: string; blocks: unknown[] } {
  const lines: string[] = []
  const issue = p.issue
  if (!issue && p.event === 'alert.fired') {
    // An LLM rule's alert: about a window of model calls, not an issue.
    lines.push(
      `:rotating_light: *${escapeMrkdwn(p.summary)}*`,
      `Rule "${escapeMrkdwn(p.rule.name)}" in *${escapeMrkdwn(p.project.name)}*`,
    )
  } else if (!issue) {
    lines.push(`:bell: *${escapeMrkdwn(p.summary)}*`, 'If you can read this, the channel works.')
  } else {
    const title = p.reason === 'regression' ? 'Regression' : p.reason === 'new_issue' ? 'New issue' : 'Alert'
    lines.push(
      `:rotating_light: *${title}* in *${escapeMrkdwn(p.project.name)}* (rule "${escapeMrkdwn(p.rule.name)}")`,
      `*${escapeMrkdwn(issue.error_type)}*: ${escapeMrkdwn(oneLine(issue.message, 300))}`,
      escapeMrkdwn(triggerText(p)),
      `Release ${escapeMrkdwn(issue.releases.join(', '))} · environment ${escapeMrkdwn(issue.environments.join(', '))}` +
        (issue.route_or_procedure ? ` · ${escapeMrkdwn(issue.route_or_procedure)}` : '') +
        (issue.assignee ? ` · assigned to ${escapeMrkdwn(issue.assignee)}` : ''),
      `<${issue.url}|Open the issue in bloop>`,
    )
  }
  const text = lines.join('\n')
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] }
}

/** Shown in listings and the delivery log: the webhook URL's path is a credential. */
export function redactSlackUrl(raw: string): string {
  try {
    const u = new URL(raw)
    const tail = u.pathname.slice(-4)
    return `${u.origin}/…${tail}`
  } catch {
    return '(invalid URL)'
  }
}
