import { useEffect, useMemo, useRef, useState } from 'react';
import { EXAMPLES, openGraphText } from './files';
import { recentGraphs } from './recent';
import { thumbPath } from './example-thumbs';
import { containsQuery, rankByQuery, searchRank } from './search-rank';
import { useEditor } from './store';
import './examples-menu.css';

/** One row of the menu: an example graph, or a graph that New, Open or an example replaced. */
type Entry =
  | { kind: 'example'; example: (typeof EXAMPLES)[number] }
  | { kind: 'recent'; index: number; title: string; text: string; savedAt: number };

/**
 * The toolbar's Examples menu: a search field (focused on open) over the examples, each with a thumbnail of what it
 * makes, and the recent graphs below them; titles rank first (search-rank.ts). Enter opens the first match (the
 * arrows move); Escape, a click outside, opening a graph or the shortcuts dialog close it.
 */
export function ExamplesMenu() {
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const helpOpen = useEditor((s) => s.helpOpen);
  const root = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);

  // the shortcuts dialog and this menu are never open together
  useEffect(() => {
    if (helpOpen) setOpen(false);
  }, [helpOpen]);
  useEffect(() => {
    if (!open) return;
    input.current?.focus();
    const outside = (e: Event) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    // Escape wherever the focus is (a click in the list leaves the search field), before the editor's keys see it:
    // there it would cancel a run
    const escape = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      e.preventDefault();
      setOpen(false);
      button.current?.focus();
    };
    // capture: the canvas stops the pointer events it handles
    document.addEventListener('pointerdown', outside, true);
    window.addEventListener('keydown', escape, true);
    return () => {
      document.removeEventListener('pointerdown', outside, true);
      window.removeEventListener('keydown', escape, true);
    };
  }, [open]);

  // read when the menu opens (Recent changes as graphs are replaced)
  const recent = useMemo(() => (open ? recentGraphs() : []), [open]);
  const entries = useMemo<Entry[]>(
    () => [
      // the title first: "classif" finds Zero-shot classification before a description's "classifier-free"
      ...rankByQuery(EXAMPLES, (ex) => searchRank(ex.title, [[ex.name], [ex.description]], query)).map(
        (example): Entry => ({ kind: 'example', example }),
      ),
      ...recent
        .map((r, index): Entry => ({ kind: 'recent', index, ...r }))
        .filter((r) => r.kind === 'recent' && containsQuery([r.title], query)),
    ],
    [recent, query],
  );
  useEffect(() => {
    list.current?.querySelector('li.active')?.scrollIntoView({ block: 'nearest' });
  }, [active]);

  const openEntry = async (entry: Entry | undefined) => {
    if (!entry) return;
    setOpen(false);
    if (entry.kind === 'example') await openGraphText(entry.example.text, `${entry.example.name}.json`);
    else await openGraphText(entry.text, `"${entry.title}" (recent)`);
  };
  const firstRecent = entries.findIndex((e) => e.kind === 'recent');

  return (
    <div
      className="menu examples-menu"
      ref={root}
      onKeyDown={(e) => {
        if (!open) return;
        if (e.key === 'ArrowDown') setActive((a) => Math.min(entries.length - 1, a + 1));
        else if (e.key === 'ArrowUp') setActive((a) => Math.max(0, a - 1));
        else if (e.key === 'Enter' && e.target === input.current) void openEntry(entries[active]);
        else return;
        e.preventDefault();
        e.stopPropagation();
      }}
    >
      <button
        ref={button}
        onClick={() => {
          if (!open) {
            setQuery('');
            setActive(0);
            useEditor.setState({ helpOpen: false });
          }
          setOpen(!open);
        }}
        aria-expanded={open}
        aria-haspopup="dialog"
      >
        Examples ▾
      </button>
      {open && (
        <div className="menu-list" role="dialog" aria-label="Examples">
          <input
            ref={input}
            placeholder="search examples (Enter opens the first)…"
            aria-label="search examples"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setActive(0);
            }}
          />
          <ul ref={list}>
            {entries.map((entry, i) => (
              <EntryRow
                key={entry.kind === 'example' ? entry.example.name : `recent-${entry.index}`}
                entry={entry}
                active={i === active}
                header={i === firstRecent ? 'Recent (graphs New, Open or an example replaced)' : undefined}
                onHover={() => setActive(i)}
                onOpen={() => void openEntry(entry)}
              />
            ))}
            {entries.length === 0 && <li className="empty">no example matches “{query}”</li>}
          </ul>
        </div>
      )}
    </div>
  );
}

function EntryRow(props: { entry: Entry; active: boolean; header?: string; onHover: () => void; onOpen: () => void }) {
  const { entry } = props;
  const row =
    entry.kind === 'example' ? (
      <li
        data-example={entry.example.name}
        className={props.active ? 'active' : ''}
        onMouseEnter={props.onHover}
        onClick={props.onOpen}
        title={entry.example.description}
      >
        <img src={`${import.meta.env.BASE_URL}${thumbPath(entry.example.name)}`} width={56} height={56} alt="" />
        <span>
          <b>{entry.example.title}</b>
          <span className="desc">{entry.example.description}</span>
        </span>
      </li>
    ) : (
      <li
        data-recent={entry.index}
        className={`recent ${props.active ? 'active' : ''}`}
        onMouseEnter={props.onHover}
        onClick={props.onOpen}
      >
        <span>
          <b>{entry.title}</b>
          <span className="desc">replaced {new Date(entry.savedAt).toLocaleString()}</span>
        </span>
      </li>
    );
  return props.header ? (
    <>
      <li className="menu-header">{props.header}</li>
      {row}
    </>
  ) : (
    row
  );
}
