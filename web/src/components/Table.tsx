// A data table: its caption for screen readers, its column heads (numbers aligned
// right) and, when rows have buttons, an unlabelled Actions column.
import type { ReactNode } from "react";

export type Column = string | { label: string; num: true };

export function Table({ caption, columns, actions, children }: { caption: string; columns: Column[]; actions?: boolean; children: ReactNode }) {
  return (
    <table className="table">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) =>
            typeof c === "string" ? (
              <th key={c} scope="col">
                {c}
              </th>
            ) : (
              <th key={c.label} scope="col" className="num">
                {c.label}
              </th>
            ),
          )}
          {actions ? (
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
