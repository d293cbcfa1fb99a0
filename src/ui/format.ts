/**
 * Times and dates as the settings `time_format` and `date_format` describe them (local time).
 * Tokens: YYYY YY MM M DD D HH H mm ss; any other character is kept as is. Pure.
 */
const TOKENS = /YYYY|YY|MM|M|DD|D|HH|H|mm|ss/g;

const pad = (n: number): string => String(n).padStart(2, "0");

export function formatStamp(iso: string, format: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "?";
  return format.replace(TOKENS, (t) => {
    switch (t) {
      case "YYYY":
        return String(d.getFullYear());
      case "YY":
        return pad(d.getFullYear() % 100);
      case "MM":
        return pad(d.getMonth() + 1);
      case "M":
        return String(d.getMonth() + 1);
      case "DD":
        return pad(d.getDate());
      case "D":
        return String(d.getDate());
      case "HH":
        return pad(d.getHours());
      case "H":
        return String(d.getHours());
      case "mm":
        return pad(d.getMinutes());
      default:
        return pad(d.getSeconds());
    }
  });
}

export interface Formats {
  time: string;
  date: string;
}

export const DEFAULT_FORMATS: Formats = { time: "HH:mm", date: "YYYY-MM-DD" };
