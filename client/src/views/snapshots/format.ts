import * as vscode from 'vscode';

/** How long ago, in words: "just now", "5 min ago", "3 h ago", "2 days ago", or the date. */
export function ageOf(iso: string, now = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return vscode.l10n.t('just now');
  if (minutes < 60) return vscode.l10n.t('{0} min ago', minutes);
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return vscode.l10n.t('{0} h ago', hours);
  const days = Math.floor(hours / 24);
  if (days < 30) return vscode.l10n.t('{0} days ago', days);
  return new Date(iso).toLocaleDateString();
}
