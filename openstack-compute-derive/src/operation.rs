//! `#[operation(..)]` on an operation's `Request`: the version-agnostic request and its
//! setters, one request type per stretch of microversions, the `Operation` impl (facts, checks,
//! body, target), the fluent `Call`, and the client method.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{DeriveInput, Ident, LitStr, Result, Type};

use crate::attrs::{self, FieldAttrs, Location, Range, Shape, Version, foreign};
use crate::{object, tables};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Action,
    Get,
    Post,
    Put,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    None,
    Null,
    ExactlyNull,
    Object,
    ObjectOrNull,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResponseKind {
    None,
    Single,
    List,
}

enum Ends {
    Statuses(Vec<Ident>),
    Unchanged,
    Deleted,
}

struct Status {
    from: Vec<Ident>,
    during: Vec<Ident>,
    ends_in: Ends,
    auto_confirmed: Vec<Ident>,
    task_states: Vec<Ident>,
    while_busy: Busy,
    by_request: Option<(LitStr, Vec<Case>)>,
}

/// `by_request(field = "type", case(value = "SOFT", from(..), during(..), task_states(..),
/// while_busy..), ..)`: the facts for one value of the field, each given in full.
struct Case {
    value: LitStr,
    from: Vec<Ident>,
    during: Vec<Ident>,
    task_states: Vec<Ident>,
    while_busy: Busy,
}

/// `server_status(.., while_busy = accepted)`, `while_busy(refused_in(..), status = N)` or
/// `while_busy(accepted_in(..))`; absent: refused.
enum Busy {
    Refused,
    Accepted,
    RefusedIn(Vec<Ident>, u16),
    AcceptedIn(Vec<Ident>),
}

impl Busy {
    /// The `while_busy` of a `server_status` or of one of its cases.
    fn parse(c: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Busy> {
        if c.input.peek(syn::Token![=]) {
            attrs::choice(c, &["accepted"])?;
            return Ok(Busy::Accepted);
        }
        let (mut refused, mut accepted, mut status) = (None, None, None);
        c.parse_nested_meta(|b| {
            if b.path.is_ident("refused_in") {
                refused = Some(attrs::idents(&b)?);
            } else if b.path.is_ident("accepted_in") {
                accepted = Some(attrs::idents(&b)?);
            } else if b.path.is_ident("status") {
                status = Some(attrs::integer(&b)?);
            } else {
                return Err(attrs::unknown(&b, &["refused_in", "accepted_in", "status"]));
            }
            Ok(())
        })?;
        match (refused, accepted, status) {
            (Some(tasks), None, Some(status)) => Ok(Busy::RefusedIn(tasks, status)),
            (Some(_), None, None) => Err(c.error("`while_busy(refused_in(..))` needs `status`")),
            (None, Some(tasks), None) => Ok(Busy::AcceptedIn(tasks)),
            (None, Some(_), Some(_)) => Err(c.error("`accepted_in` takes no `status`: Nova refuses with 409")),
            _ => Err(c.error("`while_busy` needs one of `refused_in` or `accepted_in`")),
        }
    }

    fn tokens(&self) -> TokenStream {
        match self {
            Busy::Refused => quote!(::openstack_compute::operation::WhileBusy::Refused),
            Busy::Accepted => quote!(::openstack_compute::operation::WhileBusy::Accepted),
            Busy::RefusedIn(tasks, status) => {
                let tasks = status_list("TaskState", tasks);
                quote!(::openstack_compute::operation::WhileBusy::RefusedIn { task_states: #tasks, status: #status })
            }
            Busy::AcceptedIn(tasks) => {
                let tasks = status_list("TaskState", tasks);
                quote!(::openstack_compute::operation::WhileBusy::AcceptedIn { task_states: #tasks })
            }
        }
    }
}

impl Case {
    fn parse(c: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Case> {
        let (mut value, mut from, mut during, mut task_states) = (None, Vec::new(), Vec::new(), Vec::new());
        let mut while_busy = Busy::Refused;
        c.parse_nested_meta(|f| {
            match f.path.get_ident().map(ToString::to_string).unwrap_or_default().as_str() {
                "value" => value = Some(attrs::string(&f)?),
                "from" => from = attrs::idents(&f)?,
                "during" => during = attrs::idents(&f)?,
                "task_states" => task_states = attrs::idents(&f)?,
                "while_busy" => while_busy = Busy::parse(&f)?,
                _ => {
                    return Err(attrs::unknown(
                        &f,
                        &["value", "from", "during", "task_states", "while_busy"],
                    ));
                }
            }
            Ok(())
        })?;
        Ok(Case {
            value: value.ok_or_else(|| c.error("`case` needs `value`"))?,
            from,
            during,
            task_states,
            while_busy,
        })
    }
}

struct Client {
    on_server: bool,
    method: Ident,
    args: Vec<Ident>,
}

struct OpArgs {
    name: LitStr,
    summary: LitStr,
    kind: Kind,
    key: Option<LitStr>,
    conflict_name: Option<LitStr>,
    path: LitStr,
    range: Range,
    status: u16,
    body: Body,
    breakpoints: Vec<Version>,
    client: Client,
    server_status: Option<Status>,
    lock_checked: Option<u16>,
    instance_action: Option<(LitStr, Ident)>,
    never_succeeds: bool,
    policy: Ident,
    errors: Vec<u16>,
    response: ResponseKind,
}

const KNOWN: &[&str] = &[
    "name",
    "summary",
    "kind",
    "key",
    "path",
    "since",
    "until",
    "status",
    "body",
    "breakpoints",
    "client",
    "server_status",
    "lock_checked",
    "instance_action",
    "never_succeeds",
    "conflict_name",
    "policy",
    "errors",
    "response",
];

fn parse_args(args: TokenStream) -> Result<OpArgs> {
    let mut name = None;
    let mut summary = None;
    let mut kind = None;
    let mut key = None;
    let mut conflict_name = None;
    let mut path = None;
    let (mut since, mut until) = (None, None);
    let mut status = None;
    let mut body = None;
    let mut breakpoints = Vec::new();
    let mut client = None;
    let mut server_status = None;
    let mut lock_checked = None;
    let mut instance_action = None;
    let mut never_succeeds = false;
    let mut policy = None;
    let mut errors = Vec::new();
    let mut response = None;
    let parser = syn::meta::parser(|m| {
        let id = m.path.get_ident().map(ToString::to_string).unwrap_or_default();
        match id.as_str() {
            "name" => name = Some(attrs::string(&m)?),
            "summary" => summary = Some(attrs::string(&m)?),
            "kind" => {
                kind = Some(match attrs::choice(&m, &["action", "get", "post", "put", "delete"])? {
                    "action" => Kind::Action,
                    "get" => Kind::Get,
                    "post" => Kind::Post,
                    "put" => Kind::Put,
                    _ => Kind::Delete,
                })
            }
            "key" => key = Some(attrs::string(&m)?),
            "conflict_name" => conflict_name = Some(attrs::string(&m)?),
            "path" => path = Some(attrs::string(&m)?),
            "since" => since = Some(attrs::version(&m)?),
            "until" => until = Some(attrs::version(&m)?),
            "status" => status = Some(attrs::integer(&m)?),
            "body" => {
                body = Some(
                    match attrs::choice(&m, &["none", "null", "exactly_null", "object", "object_or_null"])? {
                        "none" => Body::None,
                        "null" => Body::Null,
                        "exactly_null" => Body::ExactlyNull,
                        "object" => Body::Object,
                        _ => Body::ObjectOrNull,
                    },
                )
            }
            "breakpoints" => breakpoints = attrs::breakpoints(&m)?,
            "client" => {
                let mut on_server = None;
                let mut method = None;
                let mut args = Vec::new();
                m.parse_nested_meta(|c| {
                    if c.path.is_ident("on") {
                        on_server = Some(attrs::choice(&c, &["server", "servers"])? == "server");
                    } else if c.path.is_ident("method") {
                        method = Some(c.value()?.parse::<Ident>()?);
                    } else if c.path.is_ident("args") {
                        args = attrs::idents(&c)?;
                    } else {
                        return Err(attrs::unknown(&c, &["on", "method", "args"]));
                    }
                    Ok(())
                })?;
                client = Some(Client {
                    on_server: on_server.ok_or_else(|| m.error("`client` needs `on`"))?,
                    method: method.ok_or_else(|| m.error("`client` needs `method`"))?,
                    args,
                });
            }
            "server_status" => {
                let mut s = Status {
                    from: Vec::new(),
                    during: Vec::new(),
                    ends_in: Ends::Unchanged,
                    auto_confirmed: Vec::new(),
                    task_states: Vec::new(),
                    while_busy: Busy::Refused,
                    by_request: None,
                };
                let mut ends = None;
                m.parse_nested_meta(|c| {
                    let k = c.path.get_ident().map(ToString::to_string).unwrap_or_default();
                    match k.as_str() {
                        "from" => s.from = attrs::idents(&c)?,
                        "during" => s.during = attrs::idents(&c)?,
                        "auto_confirmed" => s.auto_confirmed = attrs::idents(&c)?,
                        "task_states" => s.task_states = attrs::idents(&c)?,
                        "ends_in" if c.input.peek(syn::Token![=]) => {
                            ends = Some(match attrs::choice(&c, &["unchanged", "deleted"])? {
                                "unchanged" => Ends::Unchanged,
                                _ => Ends::Deleted,
                            })
                        }
                        "ends_in" => ends = Some(Ends::Statuses(attrs::idents(&c)?)),
                        "while_busy" => s.while_busy = Busy::parse(&c)?,
                        "by_request" => {
                            let (mut field, mut cases) = (None, Vec::new());
                            c.parse_nested_meta(|b| {
                                if b.path.is_ident("field") {
                                    field = Some(attrs::string(&b)?);
                                } else if b.path.is_ident("case") {
                                    cases.push(Case::parse(&b)?);
                                } else {
                                    return Err(attrs::unknown(&b, &["field", "case"]));
                                }
                                Ok(())
                            })?;
                            let field = field.ok_or_else(|| c.error("`by_request` needs `field`"))?;
                            s.by_request = Some((field, cases));
                        }
                        _ => {
                            return Err(attrs::unknown(
                                &c,
                                &[
                                    "from",
                                    "during",
                                    "ends_in",
                                    "auto_confirmed",
                                    "task_states",
                                    "while_busy",
                                    "by_request",
                                ],
                            ));
                        }
                    }
                    Ok(())
                })?;
                s.ends_in = ends.ok_or_else(|| m.error("`server_status` needs `ends_in`"))?;
                server_status = Some(s);
            }
            "lock_checked" => lock_checked = Some(attrs::integer(&m)?),
            "never_succeeds" => never_succeeds = true,
            "instance_action" => {
                let mut action = None;
                let mut events = None;
                m.parse_nested_meta(|c| {
                    if c.path.is_ident("name") {
                        action = Some(attrs::string(&c)?);
                    } else if c.path.is_ident("events") {
                        events = Some(attrs::variant(&c, &["none", "api", "compute"])?);
                    } else {
                        return Err(attrs::unknown(&c, &["name", "events"]));
                    }
                    Ok(())
                })?;
                instance_action = Some((
                    action.ok_or_else(|| m.error("`instance_action` needs `name`"))?,
                    events.ok_or_else(|| m.error("`instance_action` needs `events`"))?,
                ));
            }
            "policy" => {
                policy = Some(attrs::variant(&m, &["none", "reader", "member", "manager", "admin"])?);
            }
            "errors" => errors = attrs::integers(&m)?,
            "response" => {
                response = Some(match attrs::choice(&m, &["none", "single", "list"])? {
                    "none" => ResponseKind::None,
                    "single" => ResponseKind::Single,
                    _ => ResponseKind::List,
                })
            }
            _ => return Err(attrs::unknown(&m, KNOWN)),
        }
        Ok(())
    });
    syn::parse::Parser::parse2(parser, args)?;
    let missing = |what: &str| syn::Error::new(Span::call_site(), format!("#[operation] needs `{what}`"));
    let range = Range {
        since: since.ok_or_else(|| missing("since"))?,
        until: until.ok_or_else(|| missing("until"))?,
    };
    if breakpoints.first() != Some(&range.since) || breakpoints.iter().any(|b| !range.contains(*b)) {
        return Err(syn::Error::new(
            Span::call_site(),
            "`breakpoints` must start at `since` and stay inside the operation's range",
        ));
    }
    let kind = kind.ok_or_else(|| missing("kind"))?;
    let body = body.ok_or_else(|| missing("body"))?;
    if (body != Body::None) != key.is_some() {
        return Err(syn::Error::new(
            Span::call_site(),
            "a body needs its `key`, and a `key` needs a body",
        ));
    }
    Ok(OpArgs {
        name: name.ok_or_else(|| missing("name"))?,
        summary: summary.ok_or_else(|| missing("summary"))?,
        kind,
        key,
        path: path.ok_or_else(|| missing("path"))?,
        range,
        status: status.ok_or_else(|| missing("status"))?,
        body,
        breakpoints,
        client: client.ok_or_else(|| missing("client"))?,
        server_status,
        lock_checked,
        instance_action,
        never_succeeds,
        conflict_name,
        policy: policy.ok_or_else(|| missing("policy"))?,
        errors,
        response: response.ok_or_else(|| missing("response"))?,
    })
}

/// One request field.
struct Field {
    ident: Ident,
    /// The value type as written.
    ty: Type,
    attrs: FieldAttrs,
    slot: u16,
    /// Stored as `Nullable<T>` (else `Option<T>`).
    nullable: bool,
    docs: Vec<syn::Attribute>,
}

impl Field {
    fn storage(&self) -> TokenStream {
        let ty = &self.ty;
        if self.nullable {
            quote!(::openstack_compute::types::Nullable<#ty>)
        } else {
            quote!(::core::option::Option<#ty>)
        }
    }

    fn shape(&self) -> Shape {
        if self.nullable { Shape::Nullable } else { Shape::Option }
    }

    /// The value, when one is set.
    fn value_ref(&self) -> TokenStream {
        let name = &self.ident;
        if self.nullable {
            quote!(self.#name.value())
        } else {
            quote!(self.#name.as_ref())
        }
    }

    /// Required, and never null, in every version of `range`.
    fn always_required(&self, range: Range) -> bool {
        self.attrs.entries.len() == 1
            && self.attrs.entries[0].range == range
            && self.attrs.entries[0].required == Some(range)
            && self.attrs.entries[0].nullable.is_none()
    }

    fn location(&self) -> Location {
        self.attrs.entries.first().map(|e| e.location).unwrap_or(Location::Body)
    }

    fn range_text(&self) -> String {
        let since = self
            .attrs
            .entries
            .iter()
            .map(|e| e.range.since)
            .min()
            .expect("an entry");
        let until = self
            .attrs
            .entries
            .iter()
            .map(|e| e.range.until)
            .max()
            .expect("an entry");
        format!("{}..={}", since.text(), until.text())
    }
}

/// A field's shape in one stretch of microversions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    /// `T`: required, never null.
    Plain,
    /// `Option<T>`: optional and never null.
    Optional,
    /// `Option<T>`: required, `None` is sent as null.
    RequiredNullable,
    /// `Nullable<T>`: optional, and null means something.
    Nullable,
}

/// A field's shape at `v`. In an `object_or_null` body the object itself is optional, so
/// what the object requires is optional in the per-version type (and checked when sent).
fn shape_at(f: &Field, v: Version, body: Body) -> Option<At> {
    let e = f.attrs.at(v)?;
    let required = e.required_at(v) && !(body == Body::ObjectOrNull && e.location == Location::Body);
    Some(match (required, e.nullable_at(v)) {
        (true, false) => At::Plain,
        (true, true) => At::RequiredNullable,
        (false, false) => At::Optional,
        (false, true) => At::Nullable,
    })
}

pub fn expand(args: TokenStream, item: DeriveInput) -> Result<TokenStream> {
    let op = parse_args(args)?;
    let syn::Data::Struct(syn::DataStruct {
        fields: syn::Fields::Named(named),
        ..
    }) = &item.data
    else {
        return Err(syn::Error::new_spanned(
            &item.ident,
            "expected a struct with named fields",
        ));
    };
    let mut fields = Vec::new();
    for (i, f) in named.named.iter().enumerate() {
        let attrs = FieldAttrs::parse(f, op.range)?;
        if attrs.entries.iter().any(|e| e.location == Location::Header) {
            return Err(syn::Error::new_spanned(f, "`location_header` is for responses"));
        }
        let nullable = attrs.entries.iter().any(|e| e.nullable.is_some());
        fields.push(Field {
            ident: f.ident.clone().expect("named"),
            ty: f.ty.clone(),
            nullable,
            slot: u16::try_from(i).expect("few fields"),
            docs: attrs::docs(&f.attrs).into_iter().cloned().collect(),
            attrs,
        });
    }
    let stretches = attrs::stretches(&op.breakpoints, op.range.until);
    for f in &fields {
        for s in &stretches {
            if shape_at(f, s.since, op.body) != shape_at(f, s.until, op.body)
                || f.attrs.at(s.since).map(|e| e.range) != f.attrs.at(s.until).map(|e| e.range)
            {
                return Err(syn::Error::new_spanned(
                    &f.ident,
                    format!("`{}` changes inside {}: a breakpoint is missing", f.ident, s.text()),
                ));
            }
        }
    }
    for arg in &op.client.args {
        if !fields.iter().any(|f| &f.ident == arg) {
            return Err(syn::Error::new_spanned(
                arg,
                format!("client argument `{arg}` is not a field"),
            ));
        }
    }

    let ident = &item.ident;
    let kept = foreign(&item.attrs, &["operation"]);
    let request = request_struct(&op, ident, &kept, &fields);
    let fields_impl = fields_impl(ident, &fields);
    let versions = stretches
        .iter()
        .map(|s| versioned(&op, ident, &fields, *s))
        .collect::<Vec<_>>();
    let operation = operation_impl(&op, ident, &fields)?;
    let call = call(&op, ident, &fields);
    Ok(quote!(
        #request
        #fields_impl
        #operation
        #(#versions)*
        #call
    ))
}

fn request_struct(op: &OpArgs, ident: &Ident, kept: &[syn::Attribute], fields: &[Field]) -> TokenStream {
    let defs = fields.iter().map(|f| {
        let (name, docs, storage) = (&f.ident, &f.docs, f.storage());
        quote!(#(#docs)* pub #name: #storage,)
    });
    let required: Vec<&Field> = fields
        .iter()
        .filter(|f| f.always_required(op.range) && f.location() != Location::Query)
        .collect();
    let args = required.iter().map(|f| {
        let (name, ty) = (&f.ident, &f.ty);
        quote!(#name: impl ::core::convert::Into<#ty>)
    });
    let inits = required.iter().map(|f| {
        let name = &f.ident;
        quote!(request.#name = ::core::option::Option::Some(#name.into());)
    });
    let setters = fields.iter().map(|f| {
        let (name, ty, docs) = (&f.ident, &f.ty, &f.docs);
        let range = format!("Accepted in microversions {}.", f.range_text());
        let set = if f.nullable {
            quote!(::openstack_compute::types::Nullable::Value(value.into()))
        } else {
            quote!(::core::option::Option::Some(value.into()))
        };
        let clear = if f.nullable {
            let clear = format_ident!("clear_{}", name);
            let doc = format!("Sends `\"{}\": null`.", f.attrs.json().value());
            quote!(
                #[doc = #doc]
                pub fn #clear(mut self) -> Self {
                    self.#name = ::openstack_compute::types::Nullable::Null;
                    self
                }
            )
        } else {
            quote!()
        };
        quote!(
            #(#docs)*
            #[doc = ""]
            #[doc = #range]
            pub fn #name(mut self, value: impl ::core::convert::Into<#ty>) -> Self {
                self.#name = #set;
                self
            }
            #clear
        )
    });
    let name = &op.name;
    let doc = format!(
        "The `{}` request, valid in every microversion of the operation: what is set is checked against the microversion in effect when it is sent.",
        name.value()
    );
    quote!(
        #(#kept)*
        #[doc = ""]
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Default)]
        #[non_exhaustive]
        pub struct #ident { #(#defs)* }

        impl #ident {
            /// A request with the fields every microversion requires; set the others with the
            /// methods below.
            #[allow(clippy::new_without_default)]
            pub fn new(#(#args),*) -> Self {
                #[allow(unused_mut)]
                let mut request = Self::default();
                #(#inits)*
                request
            }

            #(#setters)*
        }
    )
}

fn fields_impl(ident: &Ident, fields: &[Field]) -> TokenStream {
    let states = fields.iter().map(|f| {
        let (slot, name) = (f.slot, &f.ident);
        let state = object::state_of(quote!(self.#name), f.shape(), false);
        quote!(#slot => #state,)
    });
    let writes = fields.iter().map(|f| {
        let (slot, name) = (f.slot, &f.ident);
        // Only set fields are written: the value itself, or null.
        let w = if f.nullable {
            quote!(w.nullable(json, &self.#name))
        } else {
            quote!(if let ::core::option::Option::Some(x) = &self.#name { w.value(json, x) })
        };
        quote!(#slot => #w,)
    });
    quote!(
        impl ::openstack_compute::codec::Fields for #ident {
            fn field_state(&self, slot: u16) -> ::openstack_compute::codec::FieldState {
                match slot {
                    #(#states)*
                    _ => ::openstack_compute::codec::FieldState::Absent,
                }
            }

            #[allow(unused_variables)]
            fn write_field(&self, slot: u16, json: &'static str, w: &mut ::openstack_compute::codec::ObjectWriter<'_>) {
                match slot {
                    #(#writes)*
                    _ => {}
                }
            }
        }
    )
}

fn status_list(kind: &str, idents: &[Ident]) -> TokenStream {
    let ty = Ident::new(kind, Span::call_site());
    quote!(&[#(::openstack_compute::types::#ty::#idents),*])
}

fn operation_impl(op: &OpArgs, ident: &Ident, fields: &[Field]) -> Result<TokenStream> {
    let name = &op.name;
    let table = tables::field_table(fields.iter().map(|f| (f.slot, &f.attrs)))?;
    let key = match &op.key {
        Some(k) => quote!(::core::option::Option::Some(#k)),
        None => quote!(::core::option::Option::None),
    };
    let conflict_name = op.conflict_name.as_ref().or(op.key.as_ref()).unwrap_or(name);
    let method = Ident::new(
        match op.kind {
            Kind::Get => "Get",
            Kind::Put => "Put",
            Kind::Delete => "Delete",
            Kind::Action | Kind::Post => "Post",
        },
        Span::call_site(),
    );
    let is_action = op.kind == Kind::Action;
    let path = &op.path;
    let range = op.range;
    let status = op.status;
    let errors = &op.errors;
    let policy = &op.policy;
    let body = Ident::new(
        match op.body {
            Body::None => "None",
            Body::Null => "Null",
            Body::ExactlyNull => "ExactlyNull",
            Body::Object => "Object",
            Body::ObjectOrNull => "ObjectOrNull",
        },
        Span::call_site(),
    );
    let lock_checked = match op.lock_checked {
        Some(status) => quote!(::core::option::Option::Some(#status)),
        None => quote!(::core::option::Option::None),
    };
    let never = op.never_succeeds;
    let server_status = match &op.server_status {
        None => quote!(::core::option::Option::None),
        Some(s) => {
            let from = status_list("ServerStatus", &s.from);
            let during = status_list("ServerStatus", &s.during);
            let auto = status_list("ServerStatus", &s.auto_confirmed);
            let tasks = status_list("TaskState", &s.task_states);
            let ends = match &s.ends_in {
                Ends::Statuses(list) => {
                    let list = status_list("ServerStatus", list);
                    quote!(::openstack_compute::operation::EndsIn::Statuses(#list))
                }
                Ends::Unchanged => quote!(::openstack_compute::operation::EndsIn::Unchanged),
                Ends::Deleted => quote!(::openstack_compute::operation::EndsIn::Deleted),
            };
            let busy = s.while_busy.tokens();
            let by_request = match &s.by_request {
                None => quote!(::core::option::Option::None),
                Some((field, cases)) => {
                    let cases = cases.iter().map(|c| {
                        let (value, busy) = (&c.value, c.while_busy.tokens());
                        let from = status_list("ServerStatus", &c.from);
                        let during = status_list("ServerStatus", &c.during);
                        let tasks = status_list("TaskState", &c.task_states);
                        quote!(::openstack_compute::operation::RequestCase {
                            value: #value, from: #from, during: #during, task_states: #tasks, while_busy: #busy,
                        })
                    });
                    quote!(::core::option::Option::Some(::openstack_compute::operation::RequestCases {
                        field: #field, cases: &[#(#cases),*],
                    }))
                }
            };
            quote!(::core::option::Option::Some(::openstack_compute::operation::StatusFacts {
                from: #from, during: #during, ends_in: #ends, auto_confirmed: #auto, task_states: #tasks,
                while_busy: #busy, by_request: #by_request,
            }))
        }
    };
    let instance_action = match &op.instance_action {
        None => quote!(::core::option::Option::None),
        Some((a, events)) => quote!(::core::option::Option::Some(::openstack_compute::operation::InstanceActionFacts {
            name: #a, events: ::openstack_compute::operation::ActionEvents::#events,
        })),
    };
    let breakpoints = &op.breakpoints;
    let (response_ty, response_info, parse, write) = match op.response {
        ResponseKind::None => (
            quote!(::openstack_compute::operation::NoContent),
            quote!(::core::option::Option::None),
            quote!({
                let _ = (body, location, version);
                ::core::result::Result::Ok(::openstack_compute::operation::NoContent)
            }),
            quote!({
                let _ = (response, version);
                ::std::vec::Vec::new()
            }),
        ),
        _ => (
            quote!(Response),
            quote!(::core::option::Option::Some(&RESPONSE)),
            quote!(parse_response(body, location, version)),
            quote!(write_response(response, version)),
        ),
    };
    let value_checks = fields.iter().map(|f| {
        let (slot, value) = (f.slot, f.value_ref());
        quote!(
            if let ::core::option::Option::Some(x) = #value {
                ::openstack_compute::codec::check_field_value(Self::INFO, #slot, x, version)?;
            }
        )
    });
    let path_param = fields.iter().find(|f| f.location() == Location::Path).map(|f| {
        let (name, json) = (&f.ident, f.attrs.json());
        quote!(
            if let ::core::option::Option::Some(x) = &self.#name {
                target.path_param = ::core::option::Option::Some((#json, x.as_str()));
            }
        )
    });
    let queries = fields.iter().filter(|f| f.location() == Location::Query).map(|f| {
        let (value, json) = (f.value_ref(), f.attrs.json());
        quote!(
            if let ::core::option::Option::Some(x) = #value {
                ::openstack_compute::codec::QueryValue::push_query(x, #json, &mut target.query);
            }
        )
    });
    let read_body = read_body(op, ident, fields);
    let read_target = read_target(fields);
    Ok(quote!(
        impl ::openstack_compute::operation::Operation for #ident {
            const INFO: &'static ::openstack_compute::operation::OperationInfo = &::openstack_compute::operation::OperationInfo {
                name: #name,
                key: #key,
                method: ::openstack_compute::operation::Method::#method,
                is_action: #is_action,
                path: #path,
                range: #range,
                status: #status,
                errors: &[#(#errors),*],
                policy: ::openstack_compute::operation::Policy::#policy,
                body: ::openstack_compute::operation::BodyKind::#body,
                lock_checked: #lock_checked,
                never_succeeds: #never,
                conflict_name: #conflict_name,
                server_status: #server_status,
                instance_action: #instance_action,
                request: &[#(#table),*],
                response: #response_info,
                breakpoints: &[#(#breakpoints),*],
            };
            type Response = #response_ty;

            fn check(&self, version: ::openstack_compute::Microversion) -> ::core::result::Result<(), ::openstack_compute::ActionError> {
                ::openstack_compute::codec::check_request(Self::INFO, self, version)?;
                #(#value_checks)*
                ::core::result::Result::Ok(())
            }

            fn write_body(&self, version: ::openstack_compute::Microversion, out: &mut ::std::vec::Vec<u8>) {
                ::openstack_compute::codec::write_request_body(Self::INFO, self, version, out)
            }

            #[allow(unused_mut, unused_variables)]
            fn target(&self, version: ::openstack_compute::Microversion) -> ::openstack_compute::operation::Target<'_> {
                let mut target = ::openstack_compute::operation::Target::default();
                #path_param
                #(#queries)*
                target
            }

            fn parse_response(
                body: &[u8],
                location: ::core::option::Option<&str>,
                version: ::openstack_compute::Microversion,
            ) -> ::core::result::Result<Self::Response, ::openstack_compute::DecodeError> {
                #parse
            }

            #[cfg(feature = "testing")]
            fn read_body(body: &[u8]) -> ::core::result::Result<Self, ::openstack_compute::DecodeError> {
                #read_body
            }

            #[cfg(feature = "testing")]
            fn read_target(&mut self, path_param: ::core::option::Option<&str>, query: &[(::std::string::String, ::std::string::String)])
                -> ::core::result::Result<(), ::std::string::String>
            {
                #read_target
            }

            #[cfg(feature = "testing")]
            fn write_response(response: &Self::Response, version: ::openstack_compute::Microversion) -> ::std::vec::Vec<u8> {
                #write
            }
        }
    ))
}

/// Reads a whole request body (`testing`): the body key, its fields, the fields beside it;
/// anything else is refused, as Nova refuses it.
fn read_body(op: &OpArgs, ident: &Ident, fields: &[Field]) -> TokenStream {
    let name = &op.name;
    let context = quote!(::openstack_compute::codec::Context {
        operation: #name,
        what: "request",
        version: ::openstack_compute::Microversion::MIN,
    });
    let Some(key) = &op.key else {
        return quote!(
            if body.iter().all(u8::is_ascii_whitespace) {
                ::core::result::Result::Ok(#ident::default())
            } else {
                ::core::result::Result::Err(#context.error("this operation sends no body"))
            }
        );
    };
    let read = |f: &Field| {
        let name = &f.ident;
        let ty = &f.ty;
        if f.nullable {
            let r = object::read_of(
                Shape::Nullable,
                &syn::parse_quote!(::openstack_compute::types::Nullable<#ty>),
            );
            quote!(self.0.#name = #r)
        } else {
            quote!(self.0.#name = ::core::option::Option::Some(map.next_value::<#ty>()?))
        }
    };
    let inner_arms = fields.iter().filter(|f| f.location() == Location::Body).map(|f| {
        let (json, r) = (f.attrs.json(), read(f));
        quote!(#json => #r,)
    });
    let top_arms = fields.iter().filter(|f| f.location() == Location::Top).map(|f| {
        let (json, r) = (f.attrs.json(), read(f));
        quote!(#json => #r,)
    });
    let key_value = match op.body {
        Body::None => quote!(),
        Body::Null => quote!({
            map.next_value::<::serde::de::IgnoredAny>()?;
        }),
        Body::ExactlyNull => quote!({
            map.next_value::<()>()?;
        }),
        Body::Object | Body::ObjectOrNull => {
            let null_ok = op.body == Body::ObjectOrNull;
            quote!(map.next_value_seed(Inner(&mut *self.0, #null_ok))?)
        }
    };
    quote!(
        struct Outer<'a>(&'a mut #ident);
        struct Inner<'a>(&'a mut #ident, bool);
        impl<'de> ::serde::de::DeserializeSeed<'de> for Inner<'_> {
            type Value = ();
            fn deserialize<D: ::serde::Deserializer<'de>>(self, d: D) -> ::core::result::Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }
        impl<'de> ::serde::de::Visitor<'de> for Inner<'_> {
            type Value = ();
            fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str("an object")
            }
            fn visit_unit<E: ::serde::de::Error>(self) -> ::core::result::Result<(), E> {
                if self.1 { ::core::result::Result::Ok(()) } else { ::core::result::Result::Err(E::invalid_type(::serde::de::Unexpected::Unit, &self)) }
            }
            #[allow(unused_mut)]
            fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::core::result::Result<(), A::Error> {
                while let ::core::option::Option::Some(key) = map.next_key::<::openstack_compute::codec::KeyName<'de>>()? {
                    match key.0.as_ref() {
                        #(#inner_arms)*
                        other => return ::core::result::Result::Err(::serde::de::Error::unknown_field(other, &[])),
                    }
                }
                ::core::result::Result::Ok(())
            }
        }
        impl<'de> ::serde::de::Visitor<'de> for Outer<'_> {
            type Value = ();
            fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(concat!("an object with `", #key, "`"))
            }
            #[allow(unused_mut)]
            fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::core::result::Result<(), A::Error> {
                let mut seen = false;
                while let ::core::option::Option::Some(key) = map.next_key::<::openstack_compute::codec::KeyName<'de>>()? {
                    match key.0.as_ref() {
                        #key => { seen = true; #key_value }
                        #(#top_arms)*
                        other => return ::core::result::Result::Err(::serde::de::Error::unknown_field(other, &[#key])),
                    }
                }
                if seen { ::core::result::Result::Ok(()) } else { ::core::result::Result::Err(::serde::de::Error::missing_field(#key)) }
            }
        }
        let mut request = #ident::default();
        let mut de = ::serde_json::Deserializer::from_slice(body);
        ::serde::Deserializer::deserialize_map(&mut de, Outer(&mut request))
            .and_then(|()| de.end())
            .map_err(|e| ::openstack_compute::DecodeError::json(#context.to_string(), &e))?;
        ::core::result::Result::Ok(request)
    )
}

/// Reads the path parameter and query string (`testing`).
fn read_target(fields: &[Field]) -> TokenStream {
    let path = fields.iter().find(|f| f.location() == Location::Path).map(|f| {
        let name = &f.ident;
        quote!(if let ::core::option::Option::Some(p) = path_param {
            self.#name = ::core::option::Option::Some(p.into());
        })
    });
    let arms = fields.iter().filter(|f| f.location() == Location::Query).map(|f| {
        let (name, json) = (&f.ident, f.attrs.json());
        let ty = &f.ty;
        quote!(#json => <#ty as ::openstack_compute::codec::FromQuery>::add_query(&mut self.#name, value)
            .map_err(|e| ::std::format!("query parameter `{}`: {e}", #json))?,)
    });
    quote!(
        let _ = path_param;
        #path
        for (name, value) in query {
            match name.as_str() {
                #(#arms)*
                other => return ::core::result::Result::Err(::std::format!("unknown query parameter `{other}`")),
            }
        }
        ::core::result::Result::Ok(())
    )
}

fn versioned(op: &OpArgs, ident: &Ident, fields: &[Field], s: Range) -> TokenStream {
    let vident = s.since.ident();
    let name = &op.name;
    let present: Vec<(&Field, At)> = fields
        .iter()
        .filter_map(|f| shape_at(f, s.since, op.body).map(|a| (f, a)))
        .collect();
    let defs = present.iter().map(|(f, at)| {
        let (n, ty, docs) = (&f.ident, &f.ty, &f.docs);
        let t = match at {
            At::Plain => quote!(#ty),
            At::Optional | At::RequiredNullable => quote!(::core::option::Option<#ty>),
            At::Nullable => quote!(::openstack_compute::types::Nullable<#ty>),
        };
        quote!(#(#docs)* pub #n: #t,)
    });
    let new_args = present.iter().filter(|(_, at)| *at == At::Plain).map(|(f, _)| {
        let (n, ty) = (&f.ident, &f.ty);
        quote!(#n: impl ::core::convert::Into<#ty>)
    });
    let new_inits = present.iter().map(|(f, at)| {
        let n = &f.ident;
        match at {
            At::Plain => quote!(#n: #n.into(),),
            _ => quote!(#n: ::core::default::Default::default(),),
        }
    });
    // Into the agnostic request.
    let into = fields.iter().map(|f| {
        let n = &f.ident;
        let Some(at) = present.iter().find(|(p, _)| p.ident == f.ident).map(|(_, a)| *a) else {
            return quote!(#n: ::core::default::Default::default(),);
        };
        let nul = quote!(::openstack_compute::types::Nullable);
        match (at, f.nullable) {
            (At::Plain, false) => quote!(#n: ::core::option::Option::Some(v.#n),),
            (At::Plain, true) => quote!(#n: #nul::Value(v.#n),),
            (At::Optional, false) => quote!(#n: v.#n,),
            (At::Optional, true) => quote!(#n: match v.#n { ::core::option::Option::Some(x) => #nul::Value(x), ::core::option::Option::None => #nul::Unset },),
            (At::RequiredNullable, _) => quote!(#n: #nul::from(v.#n),),
            (At::Nullable, _) => quote!(#n: v.#n,),
        }
    });
    // From the agnostic request, refusing what this stretch does not have.
    let from = fields.iter().map(|f| {
        let n = &f.ident;
        let json = f.attrs.json();
        let nul = quote!(::openstack_compute::types::Nullable);
        let since = s.since;
        let missing = {
            let since_tok = quote!(#since);
            let v = Ident::new("MissingField", Span::call_site());
            quote!(return ::core::result::Result::Err(::openstack_compute::ActionError::#v {
                operation: #name, field: #json.into(), version: #since_tok,
            }))
        };
        let null = {
            let since_tok = quote!(#since);
            quote!(return ::core::result::Result::Err(::openstack_compute::ActionError::NullNotAllowed {
                operation: #name, field: #json.into(), version: #since_tok,
            }))
        };
        let Some(at) = present.iter().find(|(p, _)| p.ident == f.ident).map(|(_, a)| *a) else {
            let range = s;
            let state = object::state_of(quote!(r.#n), f.shape(), false);
            return quote!(
                if #state != ::openstack_compute::codec::FieldState::Absent {
                    return ::core::result::Result::Err(::openstack_compute::ActionError::FieldOutOfRange {
                        operation: #name, field: #json.into(), range: #range, version: #since,
                    });
                }
            );
        };
        let value = match (at, f.nullable) {
            (At::Plain, false) => quote!(match r.#n { ::core::option::Option::Some(x) => x, ::core::option::Option::None => #missing }),
            (At::Plain, true) => quote!(match r.#n { #nul::Value(x) => x, #nul::Unset => #missing, #nul::Null => #null }),
            (At::Optional, false) => quote!(r.#n),
            (At::Optional, true) => quote!(match r.#n { #nul::Value(x) => ::core::option::Option::Some(x), #nul::Unset => ::core::option::Option::None, #nul::Null => #null }),
            (At::RequiredNullable, _) => quote!(match r.#n { #nul::Value(x) => ::core::option::Option::Some(x), #nul::Null => ::core::option::Option::None, #nul::Unset => #missing }),
            (At::Nullable, _) => quote!(r.#n),
        };
        quote!(let #n = #value;)
    });
    let moved = present.iter().map(|(f, _)| &f.ident);
    let response = match op.response {
        ResponseKind::None => quote!(::openstack_compute::operation::NoContent),
        ResponseKind::Single => quote!(response::#vident),
        ResponseKind::List => quote!(::openstack_compute::operation::Page<response::#vident>),
    };
    let doc = format!(
        "`{}` as microversions {} accept it: only the fields valid there, required ones not optional.",
        name.value(),
        s.text()
    );
    quote!(
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        pub struct #vident { #(#defs)* }

        impl #vident {
            /// The request with its required fields; the others start unset.
            #[allow(clippy::new_without_default)]
            pub fn new(#(#new_args),*) -> Self {
                #vident { #(#new_inits)* }
            }
        }

        impl ::core::convert::From<#vident> for #ident {
            #[allow(unused_variables)]
            fn from(v: #vident) -> #ident {
                #ident { #(#into)* }
            }
        }

        impl ::core::convert::TryFrom<#ident> for #vident {
            type Error = ::openstack_compute::ActionError;

            /// Fails naming a field this stretch of microversions does not have, or a required
            /// one that is not set.
            #[allow(unused_variables)]
            fn try_from(r: #ident) -> ::core::result::Result<#vident, ::openstack_compute::ActionError> {
                #(#from)*
                ::core::result::Result::Ok(#vident { #(#moved),* })
            }
        }

        impl ::openstack_compute::operation::VersionedRequest for #vident {
            type Operation = #ident;
            type Response = #response;
            const RANGE: ::openstack_compute::VersionRange = #s;
        }
    )
}

fn call(op: &OpArgs, ident: &Ident, fields: &[Field]) -> TokenStream {
    let name = &op.name;
    let setters = fields.iter().map(|f| {
        let (n, ty, docs) = (&f.ident, &f.ty, &f.docs);
        let range = format!("Accepted in microversions {}.", f.range_text());
        let clear = if f.nullable {
            let c = format_ident!("clear_{}", n);
            let doc = format!("Sends `\"{}\": null`.", f.attrs.json().value());
            quote!(
                #[doc = #doc]
                pub fn #c(mut self) -> Self {
                    self.0.request = self.0.request.#c();
                    self
                }
            )
        } else {
            quote!()
        };
        quote!(
            #(#docs)*
            #[doc = ""]
            #[doc = #range]
            pub fn #n(mut self, value: impl ::core::convert::Into<#ty>) -> Self {
                self.0.request = self.0.request.#n(value);
                self
            }
            #clear
        )
    });
    let wait = match (&op.server_status, op.client.on_server) {
        (Some(s), true) => match s.ends_in {
            Ends::Deleted => quote!(
                /// Sends the request, then polls until the server is gone (show answers 404).
                pub async fn wait(self, options: ::openstack_compute::WaitOptions)
                    -> ::core::result::Result<::openstack_compute::wait::Gone<<#ident as ::openstack_compute::operation::Operation>::Response>, ::openstack_compute::Error>
                {
                    self.0.wait_gone(options).await
                }
            ),
            _ => quote!(
                /// Sends the request, then waits until the server is where this operation ends
                /// (see the module docs) and the instance action of this call's request ID has
                /// finished; see [`crate::wait`].
                pub async fn wait(self, options: ::openstack_compute::WaitOptions)
                    -> ::core::result::Result<::openstack_compute::wait::Waited<<#ident as ::openstack_compute::operation::Operation>::Response>, ::openstack_compute::Error>
                {
                    self.0.wait(options).await
                }
            ),
        },
        _ => quote!(),
    };
    let client = &op.client;
    let method = &client.method;
    let arg_fields: Vec<&Field> = client
        .args
        .iter()
        .map(|a| fields.iter().find(|f| &f.ident == a).expect("checked"))
        .collect();
    // A nullable argument is an `Option`: `None` sends null (live-migrate's `host`).
    let params = arg_fields.iter().map(|f| {
        let (n, ty) = (&f.ident, &f.ty);
        if f.nullable {
            quote!(#n: ::core::option::Option<#ty>)
        } else {
            quote!(#n: impl ::core::convert::Into<#ty>)
        }
    });
    let sets = arg_fields.iter().map(|f| {
        let n = &f.ident;
        if f.nullable {
            quote!({ request.#n = ::openstack_compute::types::Nullable::from(#n); })
        } else {
            quote!({ request.#n = ::core::option::Option::Some(#n.into()); })
        }
    });
    let how = match (&op.key, op.kind) {
        (Some(k), Kind::Action) => format!("`POST {}` with `{{\"{}\": ..}}`", op.path.value(), k.value()),
        _ => format!(
            "`{} {}`",
            match op.kind {
                Kind::Get => "GET",
                Kind::Put => "PUT",
                Kind::Delete => "DELETE",
                _ => "POST",
            },
            op.path.value()
        ),
    };
    let method_doc = format!(
        "{} {how}: see [`ops::{}`](crate::ops::{}). Set optional fields on the returned call, then `send()`.",
        op.summary.value(),
        name.value(),
        name.value()
    );
    let call_doc = format!(
        "A `{}` call being built: one setter per field, then [`Call::send`]. {how}.",
        name.value()
    );
    let (owner, core) = if client.on_server {
        (
            quote!(::openstack_compute::ServerHandle),
            quote!(::openstack_compute::server::CallCore::on_server(self, request)),
        )
    } else {
        (
            quote!(::openstack_compute::Servers),
            quote!(::openstack_compute::server::CallCore::on_collection(
                self.compute(),
                request
            )),
        )
    };
    quote!(
        #[doc = #call_doc]
        #[derive(Clone, Debug)]
        #[must_use = "a call does nothing until it is sent"]
        pub struct Call(::openstack_compute::server::CallCore<#ident>);

        impl Call {
            #(#setters)*

            /// Sends at exactly this microversion instead of the client's strategy.
            pub fn at_microversion(mut self, version: ::openstack_compute::Microversion) -> Self {
                self.0.microversion = ::core::option::Option::Some(version);
                self
            }

            /// The request as built so far.
            pub fn request(&self) -> &#ident {
                &self.0.request
            }

            /// Checks the request against the microversion in effect, sends it, and reads the
            /// response as the server's microversion shapes it.
            pub async fn send(self) -> ::core::result::Result<::openstack_compute::Output<<#ident as ::openstack_compute::operation::Operation>::Response>, ::openstack_compute::Error> {
                self.0.send().await
            }

            /// Sends the request as the per-version type `V` (`rebuild::V2_63`): it fails
            /// before sending if a field set is not in `V`, is sent at a microversion of `V`'s
            /// range, and returns `V`'s response type, where what that range requires is not
            /// optional.
            pub async fn send_pinned<V>(self) -> ::core::result::Result<::openstack_compute::Output<V::Response>, ::openstack_compute::Error>
            where
                V: ::openstack_compute::operation::VersionedRequest<Operation = #ident> + ::core::convert::TryFrom<#ident, Error = ::openstack_compute::ActionError>,
                #ident: ::core::convert::From<V>,
            {
                self.0.send_pinned::<V>().await
            }

            #wait

            #[doc(hidden)]
            pub fn into_core(self) -> ::openstack_compute::server::CallCore<#ident> {
                self.0
            }
        }

        impl #owner {
            #[doc = #method_doc]
            pub fn #method(&self, #(#params),*) -> Call {
                #[allow(unused_mut)]
                let mut request = #ident::default();
                #(#sets)*
                Call(#core)
            }
        }
    )
}
