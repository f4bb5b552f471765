"""Render the parts of Nova's compute API reference that only Nova can tell.

Run by `cargo xtask nova-reference` with the interpreter of a venv that has
`nova` installed, and with PYTHONHASHSEED=0 (some enums are built from sets):

    python nova_reference.py OUT_DIR

Writes, under OUT_DIR:
  nova-src/nova/api/openstack/compute/schemas/<module>.json
      every public module-level dict of every schema module, in source order
  nova-src/nova/api/openstack/api_version_request.json
      min/max microversion, module constants and the version history
  derived/operations.json
      every routed operation of ROUTE_LIST (one per body key for an /action
      route): what Nova's decorators attach to its controller method
      (schemas per microversion range, success code, expected errors,
      @wsgi.api_version gate), its group (the controller's module), its
      status (live, capped, removed, stub) and its version_checks (the
      microversion checks its handler's code makes, directly or through
      the helpers, view builders and common.py functions it calls)
  derived/action-map.json, derived/servers-map.json
      the same for the actions of /servers/{id}/action and the servers CRUD
      only, in the shapes of the shared reference a test compares them with

Decorators are read from the imported objects. The source is read only for
what no object holds: the removal release of a `@wsgi.removed` method (Nova
stores the reason in `removed_version`), an explicit
`webob.Response(status_int=N)` in a handler, the "X.Y" regex literal inside
APIVersionRequest, and, with `ast` (nothing run), the handlers' calls: the
microversion checks and the always-400 stubs.
"""

import ast
import collections
import functools
import importlib
import inspect
import json
import os
import pkgutil
import re
import sys
import warnings

warnings.simplefilter('ignore')

import nova  # noqa: E402
from nova.api.openstack import api_version_request as avr  # noqa: E402
from nova.api.openstack.compute import routes  # noqa: E402
from nova.api.openstack.compute import versions as root_versions  # noqa: E402
import nova.api.openstack.compute.schemas as schemas_pkg  # noqa: E402
from nova import version as nova_version  # noqa: E402

SRC = 'nova/api/openstack/compute'
EVERY = 'applies to every microversion'
# ROUTE_LIST calls the last resource's id `{id}`; the api-ref names it.
ID_NAMES = {'servers': 'server_id', 'os-instance-actions': 'request_id'}
SERVERS_CRUD = ['index', 'detail', 'show', 'create', 'update', 'delete']
SERVERS_CRUD_PATHS = ['/servers', '/servers/detail', '/servers/{id}']
SERVERS_ACTION = '/servers/{id}/action'
# operations.json's keys that the shared reference's maps do not have
OPERATIONS_ONLY = ('group', 'status', 'version_checks', 'mount')
STATUSES = ('live', 'capped', 'removed', 'stub')


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


# --- controller source ------------------------------------------------------
#
# What a handler does with the microversion beyond its decorators is only in
# its code: read with `ast`, never run. The objects Nova imported only say
# where a name leads (module globals, class MROs, `_view_builder_class`).

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(nova.__file__)))
# the API layer: controllers, their view builders, and common.py
SCANNED_DIRS = (SRC, f'{SRC}/views')
SCANNED_FILES = ('nova/api/openstack/common.py',)
FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
VERSION = re.compile(r'\d+\.\d+')

# A function to read: its file, its qualname there, the class `self` is an
# instance of (None for a module-level function) and the module whose
# globals its names resolve in.
Fn = collections.namedtuple('Fn', 'rel qualname cls module')
# Where a version literal is written: what a version check reports.
Origin = collections.namedtuple('Origin', 'version file line function code')


def rel_file(obj):
    """obj's source file relative to site-packages, None outside the API
    layer (wsgi.Controller, nova.compute, ...), which is not followed."""
    try:
        path = inspect.getsourcefile(obj)
    except TypeError:  # a builtin
        return None
    if path is None:
        return None
    rel = os.path.relpath(path, ROOT).replace(os.sep, '/')
    scanned = (rel in SCANNED_FILES
               or os.path.dirname(rel) in SCANNED_DIRS)
    return rel if scanned else None


@functools.lru_cache(maxsize=None)
def parsed(rel):
    """(source lines, {qualname: def}) for module-level functions and the
    methods of module-level classes."""
    with open(os.path.join(ROOT, rel)) as f:
        text = f.read()
    defs = {}
    for node in ast.parse(text).body:
        if isinstance(node, FUNCS):
            defs[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, FUNCS):
                    defs[f'{node.name}.{item.name}'] = item
    return text.splitlines(), defs


def definition(fn):
    return parsed(fn.rel)[1].get(fn.qualname)


def method_fn(cls, name, after=None):
    """`self.<name>` of a `cls` instance: the first class of the MRO (past
    `after`, for super()) that defines it, if that class is scanned."""
    mro = cls.__mro__
    if after is not None:
        mro = mro[mro.index(after) + 1:]
    for klass in mro:
        if name in vars(klass):
            rel = rel_file(klass)
            fn = Fn(rel, f'{klass.__qualname__}.{name}', cls,
                    sys.modules[klass.__module__])
            return fn if rel and definition(fn) else None
    return None


def function_fn(obj):
    """A module-level function of a scanned module, else None."""
    func = inspect.unwrap(obj) if callable(obj) else None
    if not inspect.isfunction(func) or '.' in func.__qualname__:
        return None
    rel = rel_file(func)
    fn = Fn(rel, func.__qualname__, None, sys.modules[func.__module__])
    return fn if rel and definition(fn) else None


def resolve(node, module):
    """The object a Name / dotted Attribute chain names in module's
    globals, else None. Only modules' and classes' attributes are looked
    up: an instance's (CONF.x) could run code."""
    if isinstance(node, ast.Name):
        return vars(module).get(node.id)
    if isinstance(node, ast.Attribute):
        base = resolve(node.value, module)
        if inspect.ismodule(base) or inspect.isclass(base):
            return getattr(base, node.attr, None)
    return None


def scanned_class(node, module):
    obj = resolve(node, module)
    return obj if inspect.isclass(obj) and rel_file(obj) else None


def is_self(node):
    return isinstance(node, ast.Name) and node.id == 'self'


@functools.lru_cache(maxsize=None)
def attributes(cls):
    """{attr: class} for `self.<attr>` holding a scanned object (a view
    builder): `_view_builder_class`, which wsgi.Controller.__init__
    instantiates as `_view_builder`, then `self.<attr> = X(...)` in the
    `__init__` of each scanned class of the MRO, base classes first."""
    found = {}
    builder = getattr(cls, '_view_builder_class', None)
    if builder is not None and rel_file(builder):
        found['_view_builder'] = builder
    for klass in reversed(cls.__mro__):
        init = method_fn(klass, '__init__')
        if init is None or init.qualname != f'{klass.__qualname__}.__init__':
            continue
        for node in body_nodes(init):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Attribute)
                    and is_self(node.targets[0].value)
                    and isinstance(node.value, ast.Call)):
                held = scanned_class(node.value.func, init.module)
                if held is not None:
                    found[node.targets[0].attr] = held
    return found


def local_builders(fn):
    """{name: class} for `name = X(...)` in fn, X a scanned class (e.g.
    limits' `builder = limits_views.ViewBuilder()`)."""
    found = {}
    for node in body_nodes(fn):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call)):
            held = scanned_class(node.value.func, fn.module)
            if held is not None:
                found[node.targets[0].id] = held
    return found


def defining_class(fn):
    owner = fn.qualname.rsplit('.', 1)[0]
    return next(k for k in fn.cls.__mro__
                if k.__qualname__ == owner and rel_file(k) == fn.rel)


def callee(fn, func, local):
    """The scanned function a call's `func` expression leads to: self's
    methods (and super()'s), methods of what self's attributes or a local
    hold, and module functions named directly or through a module."""
    if isinstance(func, ast.Attribute):
        target = func.value
        if fn.cls is not None and is_self(target):
            return method_fn(fn.cls, func.attr)
        if (fn.cls is not None and isinstance(target, ast.Attribute)
                and is_self(target.value)):
            held = attributes(fn.cls).get(target.attr)
            return held and method_fn(held, func.attr)
        if (fn.cls is not None and isinstance(target, ast.Call)
                and isinstance(target.func, ast.Name)
                and target.func.id == 'super'):
            return method_fn(fn.cls, func.attr, after=defining_class(fn))
        if isinstance(target, ast.Name) and target.id in local:
            return method_fn(local[target.id], func.attr)
    return function_fn(resolve(func, fn.module))


def called_name(func):
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def body_nodes(fn):
    """Every node of fn's body (its decorators are the decorators' story)."""
    for statement in definition(fn).body:
        yield from ast.walk(statement)


@functools.lru_cache(maxsize=None)
def scan(fn):
    """(checks, calls) in fn's body: the calls of is_supported() and of
    APIVersionRequest(), and (callee, call) for the functions we follow:
    called, or passed on uncalled (call None), as view builders pass
    `self.show` to `_list_view`."""
    checks, calls, called = [], [], set()
    local = local_builders(fn)
    nodes = list(body_nodes(fn))
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        called.add(id(node.func))
        if called_name(node.func) in ('is_supported', 'APIVersionRequest'):
            checks.append(node)
            continue
        target = callee(fn, node.func, local)
        if target is not None:
            calls.append((target, node))
    for node in nodes:
        if (isinstance(node, (ast.Attribute, ast.Name))
                and isinstance(node.ctx, ast.Load)
                and id(node) not in called):
            target = callee(fn, node, local)
            if target is not None:
                calls.append((target, None))
    return checks, calls


def snippet(fn, node):
    """The source lines of node, joined into one line."""
    lines = parsed(fn.rel)[0][node.lineno - 1:node.end_lineno]
    text = ' '.join(line.strip() for line in lines)
    return re.sub(r'([(\[{]) | ([)\]}])', r'\1\2', text)


def literal(fn, call, arg, bound):
    """Origin of a version argument: a literal (or module constant) here,
    or a parameter a caller bound to a literal; None if neither."""
    value = arg.value if isinstance(arg, ast.Constant) else None
    if isinstance(arg, ast.Name):
        if arg.id in bound:
            return bound[arg.id]
        value = vars(fn.module).get(arg.id)
    if isinstance(value, str) and VERSION.fullmatch(value):
        return Origin(value, fn.rel, call.lineno, fn.qualname,
                      snippet(fn, call))
    return None


def argument(call, position, *keywords):
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg in keywords), None)


def check(fn, call, bound):
    """The version_checks record of an is_supported(req, min[, max]) or
    APIVersionRequest('X.Y') call, None (with a warning) when its version
    is not a literal we can trace."""
    supported = called_name(call.func) == 'is_supported'
    lo = argument(call, 1, 'version', 'min_version') if supported \
        else argument(call, 0, 'version_string')
    hi = argument(call, 2, 'max_version') if supported else None
    origin = lo is not None and literal(fn, call, lo, bound)
    if not origin:
        print(f'nova_reference.py: {fn.rel}:{call.lineno}: version of '
              f'{snippet(fn, call)!r} not traced', file=sys.stderr)
        return None
    record = origin._asdict()
    high = hi is not None and literal(fn, call, hi, bound)
    if high:
        record['max'] = high.version
    if isinstance(lo, ast.Name) and lo.id in bound:
        # the literal is an argument of a helper that does the check
        record['via'] = f'{fn.qualname} ({fn.rel}:{call.lineno})'
    return record


def bind(target, call, fn, bound):
    """{param: Origin} of target for the version literals the call passes
    (by position or keyword, or passed on from fn's own parameters)."""
    node = definition(target)
    params = [a.arg for a in node.args.posonlyargs + node.args.args]
    static = any(called_name(d) == 'staticmethod'
                 for d in node.decorator_list)
    if target.cls is not None and not static:
        params = params[1:]  # self
    passed = list(zip(params, call.args))
    passed += [(k.arg, k.value) for k in call.keywords if k.arg]
    out = {}
    for name, arg in passed:
        origin = literal(fn, call, arg, bound)
        if origin:
            out[name] = origin
    return tuple(sorted(out.items()))


def version_checks(fn):
    """Every microversion check reachable from fn through the calls we
    follow, deduplicated by (file, line), by version then place."""
    found, seen = {}, set()
    todo = [(fn, ())]
    while todo:
        item = todo.pop()
        if item in seen:
            continue
        seen.add(item)
        fn, bound = item
        checks, calls = scan(fn)
        for call in checks:
            record = check(fn, call, dict(bound))
            if record:
                found.setdefault((record['file'], record['line']), record)
        for target, call in calls:
            passed = bind(target, call, fn, dict(bound)) if call else ()
            todo.append((target, passed))
    return sorted(found.values(), key=lambda r: (
        tuple(map(int, r['version'].split('.'))), r['file'], r['line']))


def raises_bad_request(exc):
    if isinstance(exc, ast.Call):
        exc = exc.func
    return called_name(exc) == 'HTTPBadRequest'


def always_bad_request(fn):
    """True when fn answers 400 whatever the input: after its docstring,
    only straight-line statements (`context = ...`, `context.can(...)`),
    the last one `raise ....HTTPBadRequest(...)` or a call of a function
    that itself always does (baremetal's `_no_ironic_proxy`)."""
    body = definition(fn).body
    if body and isinstance(body[0], ast.Expr) and \
            isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if not body or not all(isinstance(s, (ast.Assign, ast.Expr))
                           for s in body[:-1]):
        return False
    last = body[-1]
    if isinstance(last, ast.Raise):
        return raises_bad_request(last.exc)
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        target = callee(fn, last.value.func, {})
        return target is not None and always_bad_request(target)
    return False


def status(entry, handler):
    """stub (always 400) > removed > capped (gate has a max) > live. A stub
    first: a @wsgi.removed handler that answers 400, not 410 Gone, (34.0.0's
    get_rdp_console) is as much a stub as baremetal's proxies."""
    if handler is not None and always_bad_request(handler):
        return 'stub'
    if 'removed_in_release' in entry:
        return 'removed'
    if entry['api_version'] and entry['api_version']['max']:
        return 'capped'
    return 'live'


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
    handler = method_fn(cls, method_name)
    entry.update(
        group=inspect.getmodule(cls).__name__.rsplit('.', 1)[-1],
        status=status(entry, handler),
        version_checks=version_checks(handler) if handler else [],
    )
    return entry


def public_path(path):
    parts = path.split('/')
    for i, part in enumerate(parts):
        if part == '{id}' and parts[i - 1] in ID_NAMES:
            parts[i] = '{%s}' % ID_NAMES[parts[i - 1]]
    return '/'.join(parts)


def route_list():
    """ROUTE_LIST's (path, {method: [factory, name]}) routes, the ('', '/')
    redirect aside, /servers/{id}/action first: xtask finds an action by
    its body key alone (the first entry with it), and other routes reuse
    server action keys (/os-volumes_boot/{id}/action, with its own gate)."""
    listed = [(path, methods) for path, methods in routes.ROUTE_LIST
              if isinstance(methods, dict)]
    return sorted(listed, key=lambda route: route[0] != SERVERS_ACTION)


def operations(names):
    """Every (method, path) routed, in route_list()'s order; an /action
    route becomes one entry per body key."""
    ops = []
    for path, methods in route_list():
        for http_method, (factory, method_name) in methods.items():
            # each factory is functools.partial(_create_controller, main,
            # [subs])
            main, subs = factory.args
            if method_name != 'action':
                ops.append(describe(main, method_name, http_method, path,
                                    names))
                continue
            # wsgi.Resource registers main's actions, then each
            # sub-controller's (a later controller wins a body key); list
            # them by module, then in source order.
            actions = {}
            for cls in [main, *subs]:
                for key, attr in cls.wsgi_actions.items():
                    actions[key] = describe(cls, attr, http_method, path,
                                            names)
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


OPERATIONS_NOTES = [
    'operations: every (method, path) of ROUTE_LIST (the "" -> "/" redirect '
    'aside), in its order but /servers/{id}/action first (other /action '
    'routes reuse its body keys; a lookup by key alone finds it first); an '
    '/action route gives one entry per body key. '
    'Ids other than {server_id} and {request_id} keep ROUTE_LIST\'s names.',
    'group: the module of the controller class that handles the operation.',
    'mount: "/v2.1" for the API\'s own routes; "/" for the service\'s root '
    '(GET /, the list of versions), which is the first operation.',
    'status: "stub" (the handler answers 400 whatever the input, even when '
    '@wsgi.removed), else "removed" (@wsgi.removed), else "capped" (the '
    '@wsgi.api_version gate has a max), else "live".',
    'version_checks: the api_version_request.is_supported() and '
    'APIVersionRequest() calls reachable from the handler (ast, not run): '
    'its body, self.<method>() of its class, module functions, '
    'self.<attr>.<method>() of view builders and common.py functions, '
    'transitively. version/max as written; file/line/function/code where '
    'the literal is written (a call of a helper that passes it on, "via" '
    'naming the check); sorted by version, file, line.',
]


def without(op, *keys):
    return {k: v for k, v in op.items() if k not in keys}


def shared_maps(ops):
    """action-map.json / servers-map.json: the shared reference's shapes
    (the actions of /servers/{id}/action and the servers CRUD, without
    operations.json's own keys), with api_version only where an operation
    is gated."""
    actions, servers = [], []
    for op in ops:
        gated = {'api_version': op['api_version']} if op['api_version'] else {}
        op = without(op, *OPERATIONS_ONLY)
        if op['action'] and op['path'] == public_path(SERVERS_ACTION):
            actions.append({
                **{k: op[k] for k in ('module', 'controller', 'method')},
                'action': op['action'],
                'body_key': op['action'],
                **without(op, 'module', 'controller', 'method', 'action',
                          'http_method', 'path', 'query_schemas',
                          'api_version'),
                **gated,
            })
        elif (op['controller'] == 'ServersController' and not op['action']
              and op['method'] in SERVERS_CRUD
              # not /os-volumes_boot, which older Novas route to it too
              and op['path'] in map(public_path, SERVERS_CRUD_PATHS)):
            servers.append({
                'operation': op['method'],
                **without(op, 'action', 'api_version'),
                'route_source': f'{SRC}/routes.py ROUTE_LIST',
                **gated,
            })
    servers.sort(key=lambda e: SERVERS_CRUD.index(e['operation']))
    return actions, servers


def unversioned_root(names):
    """`GET /` of the service itself (not under /v2.1): the list of API
    versions, which the paste pipeline routes to `versions.Versions` outside
    ROUTE_LIST. Its `mount` tells it from ROUTE_LIST's own `GET /`."""
    op = describe(root_versions.Versions, 'index', 'GET', '/', names)
    return {**op, 'mount': '/'}


def main(out_dir):
    names = render_schemas(out_dir)
    versions = render_api_versions(out_dir)
    ops = [{**op, 'mount': '/v2.1'} for op in operations(names)]
    ops.insert(0, unversioned_root(names))
    release = nova_version.version_string()
    head = {
        'generated_from': f'nova {release} from PyPI, by '
                          'xtask/nova_reference.py (modules imported; '
                          'decorator attributes and closures read)',
        'notes': NOTES,
    }
    actions, servers = shared_maps(ops)
    write(out_dir, 'derived/action-map.json', {**head, 'actions': actions})
    write(out_dir, 'derived/servers-map.json', {**head, 'operations': servers})
    write(out_dir, 'derived/operations.json', {
        **head,
        'nova_version': release,
        'min_api_version': versions['min_api_version'],
        'max_api_version': versions['max_api_version'],
        'notes': NOTES + OPERATIONS_NOTES,
        'operations': ops,
    })
    statuses = collections.Counter(op['status'] for op in ops)
    print(f'nova_reference.py: nova {release}, microversions '
          f"{versions['min_api_version']}-{versions['max_api_version']}, "
          f'{len(ops)} operations '
          f"({sum(1 for op in ops if op['action'])} actions, "
          f'{len(actions)} of them on {SERVERS_ACTION}): '
          + ', '.join(f'{statuses[s]} {s}' for s in STATUSES),
          file=sys.stderr)


if __name__ == '__main__':
    if os.environ.get('PYTHONHASHSEED') != '0':
        sys.exit('nova_reference.py: run with PYTHONHASHSEED=0')
    if sys.version_info < (3, 11):
        sys.exit('nova_reference.py: needs Python 3.11+ (code.co_qualname)')
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
