/**
 * Text from a pull request (file names, test names, summaries that quote them) shown in a check
 * or comment on the code host, which renders Markdown: every Markdown and HTML character escaped
 * so it cannot add links, images or markup, and every `@` broken so it cannot mention a person or
 * a team (a mention sends them a notification).
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&]/g, (c) => `\\${c}`).replace(/@/g, "@\u200b");
}
