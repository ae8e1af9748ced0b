// The hash routes: #/, #/queues/NAME, #/buses, #/trace, #/trace/ID, #/alarms, #/alarms/NAME.

export type Route =
  | { page: 'overview'; section: 'overview'; title: string }
  | { page: 'queue'; section: 'overview'; title: string; name: string }
  | { page: 'buses'; section: 'buses'; title: string }
  | { page: 'trace'; section: 'trace'; title: string; eventId: string | undefined }
  | { page: 'alarms'; section: 'alarms'; title: string }
  | { page: 'alarm'; section: 'alarms'; title: string; name: string }
  | { page: 'not-found'; section: undefined; title: string };

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

export function routeOf(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  const [head = '', ...rest] = path.split('/');
  const arg = rest.length > 0 ? decode(rest.join('/')) : undefined;
  switch (head) {
    case '':
      return { page: 'overview', section: 'overview', title: 'Overview' };
    case 'queues':
      if (arg) return { page: 'queue', section: 'overview', title: arg, name: arg };
      return { page: 'overview', section: 'overview', title: 'Overview' };
    case 'buses':
      return { page: 'buses', section: 'buses', title: 'Buses and rules' };
    case 'trace':
      return { page: 'trace', section: 'trace', title: arg ? `Trace ${arg}` : 'Event trace', eventId: arg };
    case 'alarms':
      if (arg) return { page: 'alarm', section: 'alarms', title: arg, name: arg };
      return { page: 'alarms', section: 'alarms', title: 'Alarms' };
    default:
      return { page: 'not-found', section: undefined, title: 'Not found' };
  }
}
