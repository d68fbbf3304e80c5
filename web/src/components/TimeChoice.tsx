// A time typed as a whole number and its unit (minutes, hours, days), or none: the
// Assignment page's auto-close idle times ("Never") and SLA targets ("No target").
import { useId, type ReactNode } from "react";
import { TIME_UNITS, type TypedTime } from "../lib/assignment";

/**
 * One time's controls in a group named by its label: the number (left out when none
 * is chosen, since it then has nothing to say) and the unit, with its hint and the
 * server's refusal under them.
 */
export function TimeChoice({
  label,
  none,
  hint,
  value,
  error,
  disabled,
  onChange,
}: {
  label: string;
  /** the choice of no time: Never, No target */
  none: string;
  hint: ReactNode;
  value: TypedTime;
  error?: string;
  disabled: boolean;
  onChange: (v: TypedTime) => void;
}) {
  const id = useId();
  const describedBy = [`${id}-hint`, error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <fieldset className={`time-choice${error ? " field-invalid" : ""}`} aria-describedby={describedBy}>
      <legend>{label}</legend>
      <div className="row">
        {value.unit !== "none" ? (
          <input
            type="number"
            className="time-choice-amount"
            min={0}
            step={1}
            aria-label={label}
            aria-invalid={error ? true : undefined}
            value={value.amount}
            disabled={disabled}
            onChange={(e) => onChange({ ...value, amount: e.target.value })}
          />
        ) : null}
        <select aria-label="Unit" value={value.unit} disabled={disabled} onChange={(e) => onChange({ ...value, unit: e.target.value as TypedTime["unit"] })}>
          <option value="none">{none}</option>
          {TIME_UNITS.map((u) => (
            <option key={u.unit} value={u.unit}>
              {u.unit}
            </option>
          ))}
        </select>
      </div>
      <p className="hint" id={`${id}-hint`}>
        {hint}
      </p>
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
