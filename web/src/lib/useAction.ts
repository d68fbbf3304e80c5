// The state every form and button that calls the API keeps: whether a call is under
// way, and the error of the last one (shown in the server's words).
import { useCallback, useState, type FormEvent } from "react";

export interface Action {
  busy: boolean;
  error: unknown;
  setError: (e: unknown) => void;
  /** Runs fn with busy set and the error cleared; true when it succeeded. */
  run: (fn: () => Promise<unknown>) => Promise<boolean>;
  /** An onSubmit handler: no page load, then run(fn). */
  submit: (fn: () => Promise<unknown>) => (e: FormEvent) => void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);

  const submit = useCallback(
    (fn: () => Promise<unknown>) => (e: FormEvent) => {
      e.preventDefault();
      void run(fn);
    },
    [run],
  );

  return { busy, error, setError, run, submit };
}

/**
 * A form's text values by name; field(k) gives an input's value and onChange. The
 * values are what was typed, untrimmed.
 */
export function useFormValues<T extends Record<string, string>>(initial: T | (() => T)) {
  const [values, setValues] = useState<T>(initial);
  const field = (k: keyof T) => ({
    value: values[k],
    onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [k]: e.target.value })),
  });
  return { values, setValues, field };
}
