import { useCallback, useEffect, useRef, useState } from "react";

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again; the data shown stays until the answer arrives. */
  reload: () => Promise<void>;
  setData: (fn: (prev: T | undefined) => T | undefined) => void;
}

/** Runs load when deps change; answers of an older run are dropped. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Async<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const run = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    const id = ++run.current;
    const ctl = new AbortController();
    setLoading(true);
    try {
      const v = await loadRef.current(ctl.signal);
      if (id === run.current) {
        setDataState(v);
        setError(undefined);
      }
    } catch (err) {
      if (id === run.current && !(err instanceof DOMException && err.name === "AbortError")) setError(err);
    } finally {
      if (id === run.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    setDataState(undefined);
    setError(undefined);
    void reload();
    return () => {
      run.current++;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  const setData = useCallback((fn: (prev: T | undefined) => T | undefined) => setDataState((p) => fn(p)), []);
  return { data, error, loading, reload, setData };
}
