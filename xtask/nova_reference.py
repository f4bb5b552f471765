"""Render the parts of Nova's compute API reference that only Nova can tell.

Run by `cargo xtask nova-reference` with the interpreter of a venv that has
`nova` installed, and with PYTHONHASHSEED=0 (some enums are built from sets):

    python nova_reference.py OUT_DIR

Writes, under OUT_DIR:
  nova-src/nova/api/openstack/compute/schemas/<module>.json
      every public module-level dict of every schema module, in source order
  nova-src/nova/api/openstack/api_version_request.json
      min/max microversion, module constants and the version history
  derived/action-map.json, derived/servers-map.json, derived/operations.json
      what Nova's decorators attach to the controller methods

Nothing is parsed from source text except what no object holds: the removal
release of a `@wsgi.removed` method (Nova stores the reason in
`removed_version`), an explicit `webob.Response(status_int=N)` in a handler,
and the "X.Y" regex literal inside APIVersionRequest.
"""

import importlib
import inspect
import json
import os
import pkgutil
import re
import sys
import warnings

warnings.simplefilter('ignore')

from nova.api.openstack import api_version_request as avr  # noqa: E402
from nova.api.openstack.compute import routes  # noqa: E402
import nova.api.openstack.compute.schemas as schemas_pkg  # noqa: E402
from nova import version as nova_version  # noqa: E402

SRC = 'nova/api/openstack/compute'
EVERY = 'applies to every microversion'
# ROUTE_LIST calls the last resource's id `{id}`; the api-ref names it.
ID_NAMES = {'servers': 'server_id', 'os-instance-actions': 'request_id'}
# (path in ROUTE_LIST, HTTP method) of the operations we describe.
WANTED = [
    ('/servers', 'GET'), ('/servers/detail', 'GET'), ('/servers/{id}', 'GET'),
    ('/servers', 'POST'), ('/servers/{id}', 'PUT'),
    ('/servers/{id}', 'DELETE'), ('/servers/{id}/action', 'POST'),
    ('/servers/{server_id}/os-instance-actions', 'GET'),
    ('/servers/{server_id}/os-instance-actions/{id}', 'GET'),
    ('/servers/{server_id}/remote-consoles', 'POST'),
]
SERVERS_CRUD = ['index', 'detail', 'show', 'create', 'update', 'delete']


def write(out_dir, rel, data):
    path = os.path.join(out_dir, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f, indent=2)
        f.write('\n')


# --- schema modules ---------------------------------------------------------

def render_schemas(out_dir):
    """Dump every schema module; return {id(dict): '<module>.<var>'}."""
    names = {}
    for info in sorted(pkgutil.iter_modules(schemas_pkg.__path__),
                       key=lambda i: i.name):
        module = importlib.import_module(f'{schemas_pkg.__name__}.{info.name}')
        doc = {k: v for k, v in vars(module).items()
               if not k.startswith('_') and isinstance(v, dict)}
        for var, value in doc.items():
            names.setdefault(id(value), f'{info.name}.{var}')
        write(out_dir, f'nova-src/{SRC}/schemas/{info.name}.json', doc)
    return names


def render_api_versions(out_dir):
    history = []
    for line in avr.REST_API_VERSION_HISTORY.splitlines():
        m = re.match(r'\s*\* (\d+\.\d+) - (.*)', line)
        if m:
            history.append({'version': m.group(1), 'summary': m.group(2)})
        elif history and line.strip():
            history[-1]['summary'] += ' ' + line.strip()
    doc = {
        'source': 'nova/api/openstack/api_version_request.py '
                  '(REST_API_VERSION_HISTORY and module constants), '
                  'rendered as JSON',
        'min_api_version': avr._MIN_API_VERSION,
        'max_api_version': avr._MAX_API_VERSION,
    }
    for name in ('DEFAULT_API_VERSION', 'MAX_PROXY_API_SUPPORT_VERSION',
                 'MIN_WITHOUT_PROXY_API_SUPPORT_VERSION',
                 'MAX_IMAGE_META_PROXY_API_VERSION',
                 'MIN_WITHOUT_IMAGE_META_PROXY_API_VERSION'):
        if hasattr(avr, name):
            key = 'default_api_version' if name.startswith('DEFAULT') else name
            doc[key] = getattr(avr, name)
    # the pattern APIVersionRequest() parses "X.Y" with (a literal there)
    regex = re.search(r're\.match\(r?"([^"]+)"',
                      inspect.getsource(avr.APIVersionRequest))
    if regex:
        doc['version_string_regex'] = regex.group(1)
    doc['history'] = history
    write(out_dir, 'nova-src/nova/api/openstack/api_version_request.json',
          doc)
    return doc


# --- decorators -------------------------------------------------------------

def ver(v):
    """'2.19' / None from a version string or an APIVersionRequest."""
    if v is None or isinstance(v, str):
        return v
    return None if v.is_null() else v.get_string()


def ranged(entry, lo, hi):
    entry.update(min=ver(lo), max=ver(hi))
    if entry['min'] is None and entry['max'] is None:
        entry['note'] = EVERY
    return entry


def layers(func):
    """The function and everything it wraps (functools.wraps' __wrapped__),
    each with the name of the Nova decorator that made it, outermost first."""
    while func is not None:
        # wraps() copies __qualname__; the code object keeps the real one,
        # e.g. 'expected_errors.<locals>.decorator.<locals>.wrapped'.
        name = func.__code__.co_qualname
        yield name.split('.<locals>')[0] if '.<locals>' in name else None, func
        func = getattr(func, '__wrapped__', None)


def closure(func):
    return inspect.getclosurevars(func).nonlocals


SCHEMA_DECORATORS = {
    # attribute the wrapper carries: (decorator, its schema argument)
    'request_body_schemas': ('schema', 'request_body_schema'),
    'request_query_schemas': ('query_schema', 'request_query_schema'),
    'response_body_schemas': ('response_body_schema', 'response_body_schema'),
}


def name_of(schema, names):
    # by identity: the decorator got the very dict the module exports
    return names.get(id(schema), '<not a module-level schema>')


def schema_ranges(func, attr, names):
    """[{schema, min, max}] from the `Schemas` object the validation
    decorators attach; checked against the decorators' own closures, which
    are also the fallback for a Nova without that attribute."""
    decorator, arg = SCHEMA_DECORATORS[attr]
    declared = [closure(f) for kind, f in layers(func) if kind == decorator]
    from_closures = [ranged({'schema': name_of(c[arg], names)},
                            c['min_version'], c['max_version'])
                     for c in declared]
    holder = getattr(func, attr, None)
    if holder is None:
        return from_closures
    from_attr = [ranged({'schema': name_of(s, names)}, lo, hi)
                 for s, lo, hi in holder._schemas]
    key = lambda e: (e['schema'], e['min'], e['max'])  # noqa: E731
    if sorted(map(key, from_attr)) != sorted(map(key, from_closures)):
        sys.exit(f'{func.__qualname__}.{attr} disagrees with its decorators')
    return from_attr


def success_code(func):
    """(code, source, response_codes) as Nova would answer on success."""
    codes = getattr(func, 'wsgi_codes', None)
    if codes is not None:
        listed = [{'code': c, 'min': lo, 'max': hi} for c, lo, hi in
                  codes._codes]
    elif getattr(func, 'wsgi_code', None):
        listed = [{'code': func.wsgi_code, 'min': None, 'max': None}]
    else:
        listed = []
    if listed:
        distinct = {c['code'] for c in listed}
        code = distinct.pop() if len(distinct) == 1 else None
        return code, '@wsgi.response', listed
    body = inspect.unwrap(func)
    if getattr(func, 'removed', False):
        # A removed handler only raises; call it to see what it answers.
        try:
            body(*[None] * len(inspect.signature(body).parameters))
        except Exception as exc:  # webob.exc.HTTPGone, HTTPBadRequest, ...
            status = getattr(exc, 'code', None)
            source = (f'none: handler always raises {type(exc).__name__} '
                      f'({status}) (removed in {removed_in(func)})')
            # 410 Gone is the answer of a removed API; the shared reference
            # records it as the code. Any other status is an error: no code.
            return (410 if status == 410 else None), source, []
    m = re.search(r'webob\.Response\([^)]*status_int=(\d+)',
                  inspect.getsource(body))
    if m:
        return (int(m.group(1)),
                f'explicit webob.Response(status_int={m.group(1)})', [])
    return 200, 'framework default 200', []


def removed_in(func):
    # wsgi.removed(version, reason) stores the *reason* in removed_version
    # (and in removed_reason); the release is the one the reason says it was
    # removed in ("It was removed in the 23.0.0 (Wallaby) release.").
    text = getattr(func, 'removed_version', '') or ''
    m = re.search(r'removed\b[^.]*?(\d+\.\d+\.\d+)', text) or \
        re.search(r'(\d+\.\d+\.\d+)', text)
    return m.group(1) if m else text


def expected_errors(func):
    out = []
    for kind, f in layers(func):
        if kind == 'expected_errors':
            c = closure(f)
            errs = c['errors']
            codes = [errs] if isinstance(errs, int) else sorted(errs)
            out.append({'codes': codes, 'min': c.get('min_version'),
                        'max': c.get('max_version')})
    return out


def api_version(func):
    gates = [closure(f) for kind, f in layers(func) if kind == 'api_version']
    if len(gates) > 1:
        sys.exit(f'{func.__qualname__}: more than one @wsgi.api_version')
    if gates:
        return {'min': gates[0]['min_version'], 'max': gates[0]['max_version']}
    return None


def describe(cls, method_name, http_method, path, names):
    func = getattr(cls, method_name)
    code, source, listed = success_code(func)
    entry = {
        'module': inspect.getmodule(cls).__name__.replace('.', '/') + '.py',
        'controller': cls.__name__,
        'method': method_name,
        'http_method': http_method,
        'path': public_path(path),
        'http_method_path': f'{http_method} {public_path(path)}',
        'action': getattr(func, 'wsgi_action', None),
        'api_version': api_version(func),
    }
    if getattr(func, 'removed', False):
        entry['removed_in_release'] = removed_in(func)
    entry.update(
        request_schemas=schema_ranges(func, 'request_body_schemas', names),
        query_schemas=schema_ranges(func, 'request_query_schemas', names),
        response_schemas=schema_ranges(func, 'response_body_schemas', names),
        success_code=code,
        success_code_source=source,
    )
    if listed:
        entry['response_codes'] = listed
    entry['expected_errors'] = expected_errors(func)
    return entry


def public_path(path):
    parts = path.split('/')
    for i, part in enumerate(parts):
        if part == '{id}' and parts[i - 1] in ID_NAMES:
            parts[i] = '{%s}' % ID_NAMES[parts[i - 1]]
    return '/'.join(parts)


def operations(names):
    routes_by_key = {}
    for path, methods in routes.ROUTE_LIST:
        if isinstance(methods, dict):
            for http_method, (factory, method_name) in methods.items():
                routes_by_key[(path, http_method)] = (factory, method_name)
    ops = []
    for path, http_method in WANTED:
        if (path, http_method) not in routes_by_key:
            print(f'nova_reference.py: no route {http_method} {path}',
                  file=sys.stderr)
            continue
        factory, method_name = routes_by_key[(path, http_method)]
        # each factory is functools.partial(_create_controller, main, [subs])
        main, subs = factory.args
        if method_name != 'action':
            ops.append(describe(main, method_name, http_method, path, names))
            continue
        # wsgi.Resource registers main's actions, then each sub-controller's
        # (a later controller wins a body key); list them by module, then in
        # source order.
        actions = {}
        for cls in [main, *subs]:
            for key, attr in cls.wsgi_actions.items():
                actions[key] = describe(cls, attr, http_method, path, names)
        ops.extend(sorted(actions.values(), key=lambda e: e['module']))
    return ops


NOTES = [
    'min/max null = unbounded ("note" says so when both are). A range '
    'starting at "2.0" also covers the legacy /v2 endpoint; a "2.0"-"2.0" '
    'range applies only there.',
    'api_version {min, max} = @wsgi.api_version gate: outside it the '
    'operation answers 404. null (absent in the maps) = not gated.',
    'Request/query schemas: where no range matches the requested '
    'microversion, Nova performs no validation.',
    'success_code: @wsgi.response, else an explicit '
    'webob.Response(status_int=N) in the handler, else the framework default '
    '200. A @wsgi.removed handler only raises: 410 Gone is recorded as its '
    'code, any other status as null.',
    'path: ROUTE_LIST names the last id {id}; here it is named as in the '
    'api-ref ({server_id}, {request_id}).',
]


def without(op, *keys):
    return {k: v for k, v in op.items() if k not in keys}


def main(out_dir):
    names = render_schemas(out_dir)
    versions = render_api_versions(out_dir)
    ops = operations(names)
    release = nova_version.version_string()
    head = {
        'generated_from': f'nova {release} from PyPI, by '
                          'xtask/nova_reference.py (modules imported; '
                          'decorator attributes and closures read)',
        'notes': NOTES,
    }
    # action-map.json / servers-map.json: the shared reference's shapes,
    # with api_version only where an operation is gated.
    actions, servers = [], []
    for op in ops:
        gated = {'api_version': op['api_version']} if op['api_version'] else {}
        if op['action']:
            actions.append({
                **{k: op[k] for k in ('module', 'controller', 'method')},
                'action': op['action'],
                'body_key': op['action'],
                **without(op, 'module', 'controller', 'method', 'action',
                          'http_method', 'path', 'query_schemas',
                          'api_version'),
                **gated,
            })
        elif (op['controller'] == 'ServersController'
              and op['method'] in SERVERS_CRUD):
            servers.append({
                'operation': op['method'],
                **without(op, 'action', 'api_version'),
                'route_source': f'{SRC}/routes.py ROUTE_LIST',
                **gated,
            })
    write(out_dir, 'derived/action-map.json', {**head, 'actions': actions})
    write(out_dir, 'derived/servers-map.json', {**head, 'operations': servers})
    write(out_dir, 'derived/operations.json', {
        **head,
        'nova_version': release,
        'min_api_version': versions['min_api_version'],
        'max_api_version': versions['max_api_version'],
        'operations': ops,
    })
    print(f'nova_reference.py: nova {release}, microversions '
          f"{versions['min_api_version']}-{versions['max_api_version']}, "
          f'{len(ops)} operations ({len(actions)} actions)', file=sys.stderr)


if __name__ == '__main__':
    if os.environ.get('PYTHONHASHSEED') != '0':
        sys.exit('nova_reference.py: run with PYTHONHASHSEED=0')
    if sys.version_info < (3, 11):
        sys.exit('nova_reference.py: needs Python 3.11+ (code.co_qualname)')
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
