/**
 * A service state whose vote book is held in columns (core/engine/columns.ts) and built as a
 * `VoteBook` only when someone reads `votes`: the engine evaluates every service on every round,
 * and a book of `Vote` objects per evaluation is what made merging a round cost 0.5 s (issue 13).
 * Reading `votes` (JSON, a spread, the status page) gives the same book as before, built once.
 * The engine reads the columns without building it. Pure.
 */
import { VoteColumns } from './columns.ts';
import type { ServiceState, VoteBook } from './state.ts';

const columnsOfState = new WeakMap<object, VoteColumns>();
const booksOfState = new WeakMap<object, VoteBook>();

/** One getter for every such state, so that none needs a closure of its own. */
const LAZY_VOTES: PropertyDescriptor = {
  get(this: object): VoteBook {
    let book = booksOfState.get(this);
    if (book === undefined) {
      book = columnsOfState.get(this)!.toBook();
      booksOfState.set(this, book);
    }
    return book;
  },
  enumerable: true,
  configurable: true,
};

/** The votes of a state as columns: those it was built with, or its book converted. */
export function columnsOf(state: ServiceState): VoteColumns {
  return columnsOfState.get(state) ?? VoteColumns.fromBook(state.votes);
}

/**
 * A copy of `state` (fields in the same order) whose votes are `columns`. Does not read
 * `state.votes`, so a state built by this function is never turned into a book on the way.
 */
export function withColumns<S extends ServiceState>(state: S, columns: VoteColumns): S {
  const out = copyWithVotes(state, LAZY_VOTES);
  columnsOfState.set(out, columns);
  return out as S;
}

/** A copy of `state` (fields in the same order) whose votes are `book`, without reading `state.votes`. */
export function withBook<S extends ServiceState>(state: S, book: VoteBook): S {
  return copyWithVotes(state, { value: book, enumerable: true, writable: true, configurable: true }) as S;
}

function copyWithVotes(state: ServiceState, votes: PropertyDescriptor): Record<string, unknown> {
  const out = {} as Record<string, unknown>;
  let placed = false;
  for (const key of Object.keys(state)) {
    if (key === 'votes') {
      Object.defineProperty(out, 'votes', votes);
      placed = true;
    } else out[key] = (state as unknown as Record<string, unknown>)[key];
  }
  if (!placed) Object.defineProperty(out, 'votes', votes);
  return out;
}
