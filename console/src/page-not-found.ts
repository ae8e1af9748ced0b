import { h, replaceChildren } from './dom';
import { type Page, pageHeading } from './ui';

export function notFoundPage(main: HTMLElement): Page {
  replaceChildren(
    main,
    pageHeading('Not found'),
    h('p', null, 'There is no such page in the console. ', h('a', { href: '#/' }, 'Go to the overview'), '.'),
  );
  return { refresh: async () => {} };
}
