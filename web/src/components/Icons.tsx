// Inline icons: the CSP allows only this origin, and inline SVG needs no request.
import type { SVGProps } from "react";

type P = SVGProps<SVGSVGElement>;
const base = { width: 16, height: 16, viewBox: "0 0 16 16", fill: "none", "aria-hidden": true } as const;

export const ClockIcon = (p: P) => (
  <svg {...base} {...p}>
    <circle cx="8" cy="8" r="6" stroke="currentColor" strokeWidth="1.4" />
    <path d="M8 4.8V8l2.2 1.4" stroke="currentColor" strokeWidth="1.4" strokeLinecap="round" />
  </svg>
);
export const CheckIcon = (p: P) => (
  <svg {...base} viewBox="0 0 16 12" height="12" {...p}>
    <path d="M2 6.5 5.5 10 13 2" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
  </svg>
);
export const DoubleCheckIcon = (p: P) => (
  <svg {...base} width="20" viewBox="0 0 20 12" height="12" {...p}>
    <path d="M1.5 6.5 5 10 12.5 2" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
    <path d="M9 9.2 9.8 10 17.5 2" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
  </svg>
);
export const WarningIcon = (p: P) => (
  <svg {...base} {...p}>
    <path d="M8 1.8 15 14H1L8 1.8Z" fill="currentColor" />
    <path d="M8 6v3.6" stroke="#fff" strokeWidth="1.6" strokeLinecap="round" />
    <circle cx="8" cy="11.8" r=".9" fill="#fff" />
  </svg>
);
export const SendIcon = (p: P) => (
  <svg {...base} width="20" height="20" viewBox="0 0 20 20" {...p}>
    <path d="M3 10 17 3l-4 14-3-6-7-1Z" fill="currentColor" />
  </svg>
);
export const ChatIcon = (p: P) => (
  <svg {...base} width="20" height="20" viewBox="0 0 20 20" {...p}>
    <path d="M4 4h12v9H8l-4 3V4Z" stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round" />
  </svg>
);
export const InboxIcon = (p: P) => (
  <svg {...base} width="20" height="20" viewBox="0 0 20 20" {...p}>
    <path d="M3 11 5 4h10l2 7v5H3v-5Z" stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round" />
    <path d="M3 11h4l1 2h4l1-2h4" stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round" />
  </svg>
);
export const GearIcon = (p: P) => (
  <svg {...base} width="20" height="20" viewBox="0 0 20 20" {...p}>
    <circle cx="10" cy="10" r="2.6" stroke="currentColor" strokeWidth="1.6" />
    <path
      d="M10 2.5v2M10 15.5v2M2.5 10h2M15.5 10h2M4.7 4.7l1.4 1.4M13.9 13.9l1.4 1.4M4.7 15.3l1.4-1.4M13.9 6.1l1.4-1.4"
      stroke="currentColor"
      strokeWidth="1.6"
      strokeLinecap="round"
    />
  </svg>
);
export const PlugIcon = (p: P) => (
  <svg {...base} width="20" height="20" viewBox="0 0 20 20" {...p}>
    <path d="M7 3v4M13 3v4M5 7h10v3a5 5 0 0 1-10 0V7ZM10 15v3" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
  </svg>
);
export const MoonIcon = (p: P) => (
  <svg {...base} {...p}>
    <path d="M13.5 10.2A5.8 5.8 0 0 1 5.8 2.5a5.8 5.8 0 1 0 7.7 7.7Z" fill="currentColor" />
  </svg>
);
export const SunIcon = (p: P) => (
  <svg {...base} {...p}>
    <circle cx="8" cy="8" r="3" fill="currentColor" />
    <path d="M8 1v2M8 13v2M1 8h2M13 8h2M3 3l1.4 1.4M11.6 11.6 13 13M3 13l1.4-1.4M11.6 4.4 13 3" stroke="currentColor" strokeWidth="1.4" strokeLinecap="round" />
  </svg>
);
export const PlusIcon = (p: P) => (
  <svg {...base} {...p}>
    <path d="M8 3v10M3 8h10" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
  </svg>
);
export const InfoIcon = (p: P) => (
  <svg {...base} {...p}>
    <circle cx="8" cy="8" r="6.2" stroke="currentColor" strokeWidth="1.3" />
    <path d="M8 7.2v4" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
    <circle cx="8" cy="4.9" r=".9" fill="currentColor" />
  </svg>
);
export const PinIcon = (p: P) => (
  <svg {...base} width="12" height="12" {...p}>
    <path d="M6 1.5h4l-.6 4.2 2.6 2.3H4l2.6-2.3L6 1.5Z" fill="currentColor" />
    <path d="M8 8v6" stroke="currentColor" strokeWidth="1.4" strokeLinecap="round" />
  </svg>
);
export const StarIcon = (p: P) => (
  <svg {...base} width="12" height="12" {...p}>
    <path d="m8 1.6 1.9 4 4.4.5-3.3 3 .9 4.3L8 11.2l-3.9 2.2.9-4.3-3.3-3 4.4-.5L8 1.6Z" fill="currentColor" />
  </svg>
);
export const ContactsIcon = (p: P) => (
  <svg {...base} width="20" height="20" viewBox="0 0 20 20" {...p}>
    <circle cx="8" cy="7" r="3" stroke="currentColor" strokeWidth="1.6" />
    <path d="M2.5 16.5c.6-3 2.8-4.5 5.5-4.5s4.9 1.5 5.5 4.5" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
    <path d="M13.5 4.5a3 3 0 0 1 0 5.5M15.5 12.5c1 .7 1.7 2 2 4" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
  </svg>
);
export const PaperclipIcon = (p: P) => (
  <svg {...base} width="20" height="20" viewBox="0 0 20 20" {...p}>
    <path
      d="M15.5 9.5 10 15a3.5 3.5 0 0 1-5-5l6-6a2.3 2.3 0 0 1 3.3 3.3l-6 6a1.2 1.2 0 0 1-1.7-1.7L12 6"
      stroke="currentColor"
      strokeWidth="1.6"
      strokeLinecap="round"
      strokeLinejoin="round"
    />
  </svg>
);
export const DocumentIcon = (p: P) => (
  <svg {...base} width="20" height="20" viewBox="0 0 20 20" {...p}>
    <path d="M5 2.5h6.5L15 6v11.5H5v-15Z" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" />
    <path d="M11.5 2.5V6H15M7.5 10h5M7.5 13h5" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" strokeLinejoin="round" />
  </svg>
);
export const VideoIcon = (p: P) => (
  <svg {...base} width="20" height="20" viewBox="0 0 20 20" {...p}>
    <rect x="2.5" y="5" width="10.5" height="10" rx="1.8" stroke="currentColor" strokeWidth="1.5" />
    <path d="m13 8.5 4.5-2.5v8L13 11.5" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" />
  </svg>
);
export const AudioIcon = (p: P) => (
  <svg {...base} width="20" height="20" viewBox="0 0 20 20" {...p}>
    <path d="M8 14.5V4l8-1.5V13" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" strokeLinejoin="round" />
    <circle cx="6" cy="14.5" r="2" stroke="currentColor" strokeWidth="1.5" />
    <circle cx="14" cy="13" r="2" stroke="currentColor" strokeWidth="1.5" />
  </svg>
);
export const EmojiIcon = (p: P) => (
  <svg {...base} width="20" height="20" viewBox="0 0 20 20" {...p}>
    <circle cx="10" cy="10" r="7.2" stroke="currentColor" strokeWidth="1.5" />
    <path d="M7 11.8c.7 1.1 1.8 1.7 3 1.7s2.3-.6 3-1.7" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
    <circle cx="7.6" cy="8.2" r="1" fill="currentColor" />
    <circle cx="12.4" cy="8.2" r="1" fill="currentColor" />
  </svg>
);
export const LocationIcon = (p: P) => (
  <svg {...base} {...p}>
    <path d="M8 14.5s4.6-4.2 4.6-7.7A4.6 4.6 0 0 0 3.4 6.8c0 3.5 4.6 7.7 4.6 7.7Z" stroke="currentColor" strokeWidth="1.4" strokeLinejoin="round" />
    <circle cx="8" cy="6.8" r="1.7" stroke="currentColor" strokeWidth="1.4" />
  </svg>
);
export const MoreIcon = (p: P) => (
  <svg {...base} width="20" height="20" viewBox="0 0 20 20" {...p}>
    <circle cx="4.5" cy="10" r="1.5" fill="currentColor" />
    <circle cx="10" cy="10" r="1.5" fill="currentColor" />
    <circle cx="15.5" cy="10" r="1.5" fill="currentColor" />
  </svg>
);
