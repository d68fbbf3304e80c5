// A message's delivery status the way WhatsApp shows it: clock while it waits, ✓ sent,
// ✓✓ delivered, blue ✓✓ read, and a red triangle when it failed, whose reason shows on
// hover and on keyboard focus. A scheduled message held by the server (outside business
// hours) gives why and when it goes the same way, on its clock.
import { useId } from "react";
import { CheckIcon, ClockIcon, DoubleCheckIcon, WarningIcon } from "./Icons";

const LABELS: Record<string, string> = {
  pending: "Waiting to send",
  queued: "Waiting to send",
  scheduled: "Scheduled",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  failed: "Failed",
  cancelled: "Cancelled",
};

export function statusLabel(status: string): string {
  return LABELS[status] ?? status;
}

export function Ticks({ status, reason }: { status: string; reason?: string }) {
  const tipId = useId();
  const label = statusLabel(status);
  switch (status) {
    case "sent":
      return (
        <span className="ticks" data-status="sent" role="img" aria-label={label} title={label}>
          <CheckIcon />
        </span>
      );
    case "delivered":
      return (
        <span className="ticks" data-status="delivered" role="img" aria-label={label} title={label}>
          <DoubleCheckIcon />
        </span>
      );
    case "read":
      return (
        <span className="ticks ticks-read" data-status="read" role="img" aria-label={label} title={label}>
          <DoubleCheckIcon />
        </span>
      );
    case "failed": {
      const why = reason || "The message could not be sent";
      return (
        <span className="ticks ticks-failed tip" data-status="failed">
          <button type="button" className="tip-target" aria-label={`Failed: ${why}`} aria-describedby={tipId} title={why}>
            <WarningIcon />
          </button>
          <span role="tooltip" id={tipId} className="tip-text">
            {why}
          </span>
        </span>
      );
    }
    case "scheduled": {
      if (!reason) break;
      return (
        <span className="ticks tip" data-status="scheduled">
          <button type="button" className="tip-target" aria-label={`${label}: ${reason}`} aria-describedby={tipId} title={reason}>
            <ClockIcon />
          </button>
          <span role="tooltip" id={tipId} className="tip-text">
            {reason}
          </span>
        </span>
      );
    }
    case "cancelled":
      return (
        <span className="ticks ticks-cancelled" data-status="cancelled">
          {label}
        </span>
      );
  }
  return (
    <span className="ticks" data-status={status} role="img" aria-label={label} title={label}>
      <ClockIcon />
    </span>
  );
}
