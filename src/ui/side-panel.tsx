import type { ReactNode } from 'react';

/**
 * A panel beside the inspector (History, Sweep): its title and a close button over its content, under one class and
 * test id so the panels look and are found alike.
 */
export function SidePanel(props: {
  name: string;
  className: string;
  closeTitle: string;
  onClose: () => void;
  children: ReactNode;
}) {
  return (
    <aside className={props.className} data-testid={props.className} aria-label={props.name}>
      <header>
        <h3>{props.name}</h3>
        <button className="small" onClick={props.onClose} title={props.closeTitle}>
          ✕
        </button>
      </header>
      {props.children}
    </aside>
  );
}
