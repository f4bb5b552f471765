//! The stores of every resource but servers: what an operation does to them follows from its
//! resource's kind and Nova's REST conventions, never from the operation's name.
//!
//! - Items with IDs (flavors, keypairs): `POST` on the collection creates (the request's
//!   fields, then the resource's defaults), `GET` on it lists (paged as the list pages), `GET`,
//!   `PUT` and `DELETE` on one item show, update and delete it. A collection whose `GET`
//!   answers one object, not a list (the project's limits), answers with the item it holds
//!   (`seed.json`, or [`super::FakeCloud::add_item`]).
//! - A map (extra specs, metadata): `GET` lists it, `POST` merges into it, `PUT` replaces it;
//!   on one key, `GET`, `PUT` and `DELETE` show, set and remove it.
//! - A set (tags, a server's security groups): `GET` lists it, `PUT` replaces it, `DELETE`
//!   empties it; on one member, `GET` answers whether it is there, `PUT` adds it, `DELETE`
//!   removes it.
//! - A value (a server's password): `GET` shows it, `DELETE` resets it to its parent's
//!   default.
//!
//! An action on an item changes another resource's store as its facts say
//! ([`StoreEffect`]: a tenant added to a flavor's access list). Items live under their
//! parent's path (a flavor's extra specs under that flavor); a map, set or value with a
//! `parent_field` lives in that field of its parent's item ([`kept`]: a flavor's extra specs, a
//! server's metadata and tags), so that the parent shows it.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use wiremock::ResponseTemplate;

use super::{Call, PROJECT_ID, USER_ID, fault, links, not_found};
use crate::operation::{Answer, Method, OperationInfo, Paging, ResourceInfo, ResourceKind, Source};
use crate::types::Timestamp;

/// Every resource's items, by resource and by parent (the values of the parent path's
/// parameters, joined: a flavor's ID for its extra specs; empty at the top).
pub(super) struct Stores {
    /// The fake's time, for what it stamps (`{now}`).
    time: super::FakeTime,
    items: BTreeMap<&'static str, BTreeMap<String, Items>>,
}

/// The items under one parent.
enum Items {
    /// Items with IDs, oldest first.
    Collection(Vec<(String, Value)>),
    Map(Map<String, Value>),
    Set(Vec<Value>),
}

/// The resource named `name`.
pub(super) fn resource(name: &str) -> Option<&'static ResourceInfo> {
    crate::generated::OPERATIONS
        .iter()
        .map(|op| op.resource)
        .find(|r| r.name == name)
}

/// The parameters of a path template, in order.
fn params_of(template: &str) -> impl Iterator<Item = &str> {
    template
        .split('/')
        .filter_map(|p| p.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
}

impl Stores {
    /// The fake's time now.
    pub(super) fn now(&self) -> Timestamp {
        self.time.now()
    }

    pub(super) fn new(time: super::FakeTime) -> Stores {
        Stores {
            time,
            items: BTreeMap::new(),
        }
    }

    /// Adds an item the fake starts with (`seed.json`): a top-level resource's.
    /// Adds an item as Nova would show it (the seed, and [`super::FakeCloud::add_item`]);
    /// what it leaves out comes from the resource's defaults, as for a create. An item of a
    /// sub-resource names its parent by the fields its collection's path names
    /// (`flavor_id` for a flavor's access list).
    pub(super) fn insert(&mut self, resource_name: &str, item: Value, base: &str, counter: u64) -> Result<(), String> {
        let r = resource(resource_name).ok_or_else(|| format!("`{resource_name}` is no resource of the spec"))?;
        let Value::Object(mut item) = item else {
            return Err(format!("an item of `{resource_name}` must be a JSON object"));
        };
        if r.kind != ResourceKind::Collection {
            return Err(format!(
                "`{resource_name}` is a map, a set or a value: give it in its parent's item (a flavor's \
                 `extra_specs`; a server's with `update_server`)"
            ));
        }
        if r.parent == Some("server") {
            return Err(format!(
                "`{resource_name}` lives in a server: add the server with `add_server`"
            ));
        }
        let parent: Vec<String> = params_of(r.collection)
            .map(|p| {
                item.get(p)
                    .map(text)
                    .ok_or_else(|| format!("an item of `{resource_name}` needs `{p}`"))
            })
            .collect::<Result<_, _>>()?;
        let id = match (r.id, item.get(r.id_field)) {
            (Some(_), Some(id)) => text(id),
            (Some(_), None) => return Err(format!("an item of `{resource_name}` needs `{}`", r.id_field)),
            (None, _) => String::new(),
        };
        let path = format!("{}/{id}", r.collection.trim_start_matches('/'));
        for (field, template) in r.defaults {
            if !item.contains_key(*field) {
                let value = expand(template, counter, base, &path, &item, &[], &self.time.now());
                item.insert((*field).into(), value);
            }
        }
        let Items::Collection(list) = self.under(r, parent.join("/")) else {
            unreachable!("a collection's items")
        };
        if r.id.is_some() && list.iter().any(|(i, _)| *i == id) {
            return Err(format!("`{resource_name}` already has `{id}`"));
        }
        list.push((id, Value::Object(item)));
        Ok(())
    }

    /// The item `r` lives under (a flavor, for its extra specs), when it is there.
    fn parent_item(&mut self, r: &ResourceInfo, call: &Call<'_>) -> Option<&mut Value> {
        let parent = r.parent.and_then(resource)?;
        let id = call.param(parent.id?)?;
        match self.items.get_mut(parent.name)?.get_mut("")? {
            Items::Collection(list) => list.iter_mut().find(|(i, _)| i == id).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Whether the resource named `resource` has a top-level item `id` (what a reference
    /// names).
    pub(super) fn exists(&self, resource: &str, id: &str) -> bool {
        match self.items.get(resource).and_then(|by| by.get("")) {
            Some(Items::Collection(list)) => list.iter().any(|(i, _)| i == id),
            Some(Items::Map(map)) => map.contains_key(id),
            Some(Items::Set(set)) => set.iter().any(|v| text(v) == id),
            None => false,
        }
    }

    /// A top-level item of `resource`, when it exists.
    pub(super) fn get(&self, resource: &str, id: &str) -> Option<&Value> {
        match self.items.get(resource)?.get("")? {
            Items::Collection(list) => list.iter().find(|(i, _)| i == id).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The top-level items of `resource`, to change.
    pub(super) fn items_mut(&mut self, resource: &str) -> impl Iterator<Item = &mut Value> {
        self.items
            .get_mut(resource)
            .and_then(|by| by.get_mut(""))
            .into_iter()
            .flat_map(|items| match items {
                Items::Collection(list) => list.iter_mut().map(|(_, v)| v).collect::<Vec<_>>(),
                _ => Vec::new(),
            })
    }

    /// The items of `r` under `parent`, made empty when there are none yet.
    fn under(&mut self, r: &'static ResourceInfo, parent: String) -> &mut Items {
        self.items
            .entry(r.name)
            .or_default()
            .entry(parent)
            .or_insert_with(|| match r.kind {
                ResourceKind::Collection => Items::Collection(Vec::new()),
                // A value lives in its parent's item (validated), never here.
                ResourceKind::Map | ResourceKind::Value => Items::Map(Map::new()),
                ResourceKind::Set => Items::Set(Vec::new()),
            })
    }

    pub(super) fn handle(&mut self, call: &Call<'_>, base: &str, counter: u64) -> ResponseTemplate {
        let info = call.info();
        let r = info.resource;
        let template = info.path_at(call.version);
        // The parent's parameters: every one of the collection's path.
        let parent: Vec<&str> = params_of(r.collection).filter_map(|p| call.param(p)).collect();
        let parent = parent.join("/");
        let id = r.id.and_then(|p| call.param(p)).map(str::to_string);
        // The item a sub-resource lives under must be there (a flavor's extra specs).
        if let Some(p) = r.parent.and_then(resource).filter(|p| p.name != "server")
            && self.parent_item(r, call).is_none()
        {
            return missing(p, call);
        }
        // Kept in a field of the parent's item (a flavor's `extra_specs`).
        if r.parent_field.is_some() {
            return match self.parent_item(r, call).and_then(Value::as_object_mut) {
                Some(item) => kept(call, r, item, base, counter),
                None => missing(r, call),
            };
        }
        if info.action.is_some() {
            if self.get(r.name, id.as_deref().unwrap_or_default()).is_none() {
                return missing(r, call);
            }
            return self.effect(call, base);
        }
        let filled = fill(template, call);
        match (r.kind, info.method, id) {
            (ResourceKind::Collection, Method::Post, None) => self.create(call, r, parent, base, counter),
            (ResourceKind::Collection, Method::Get, None) => {
                // A query parameter named as a field filters by it, as Nova's database does:
                // an unanchored regular-expression search (`name=^m1\.`).
                let filters: Vec<(&str, &str)> = call
                    .query
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "limit" | "marker" | "offset" | "sort_key" | "sort_dir"))
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let items: Vec<Value> = match self.under(r, parent) {
                    Items::Collection(list) => list
                        .iter()
                        .map(|(_, v)| v)
                        .filter(|v| {
                            filters.iter().all(|(k, pattern)| match v.get(*k) {
                                Some(field) => super::server::searches(pattern, &text(field)),
                                None => true,
                            })
                        })
                        .cloned()
                        .collect(),
                    _ => Vec::new(),
                };
                match info.answer {
                    // One object, not a list (the project's limits): the item held for it.
                    Answer::Body(shape) if !shape.list => match items.last() {
                        Some(item) => call.respond(&shaped(info, Payload::Item(item.clone())), None),
                        None => missing(r, call),
                    },
                    _ => list(call, items, r, base, &filled),
                }
            }
            (ResourceKind::Collection, method, Some(id)) => {
                let Items::Collection(list) = self.under(r, parent) else {
                    unreachable!("a collection's items")
                };
                let Some(i) = list.iter().position(|(i, _)| *i == id) else {
                    return missing(r, call);
                };
                match method {
                    Method::Get => call.respond(&shaped(info, Payload::Item(list[i].1.clone())), None),
                    Method::Put => {
                        if let (Value::Object(item), Value::Object(changes)) = (&mut list[i].1, &call.args) {
                            for (k, v) in changes {
                                item.insert(k.clone(), v.clone());
                            }
                        }
                        call.respond(&shaped(info, Payload::Item(list[i].1.clone())), None)
                    }
                    Method::Delete => {
                        list.remove(i);
                        call.respond(&Value::Null, None)
                    }
                    Method::Post | Method::Patch => not_found("The resource could not be found."),
                }
            }
            (ResourceKind::Collection, _, None) => not_found("The resource could not be found."),
            (ResourceKind::Map, method, key) => match self.under(r, parent) {
                Items::Map(map) => map_op(call, r, map, method, key),
                _ => missing(r, call),
            },
            (ResourceKind::Set, method, member) => {
                let Items::Set(set) = self.under(r, parent) else {
                    unreachable!("a set's items")
                };
                set_op(call, r, set, method, member)
            }
            // A value lives in its parent's item (validated), answered above.
            (ResourceKind::Value, _, _) => missing(r, call),
        }
    }

    fn create(
        &mut self,
        call: &Call<'_>,
        r: &'static ResourceInfo,
        parent: String,
        base: &str,
        counter: u64,
    ) -> ResponseTemplate {
        let info = call.info();
        let mut item: Map<String, Value> = match &call.args {
            Value::Object(fields) => fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            _ => Map::new(),
        };
        if !item.contains_key(r.id_field) {
            item.insert(r.id_field.into(), Value::String(uuid(counter)));
        }
        let id = text(&item[r.id_field]);
        let path = format!("{}/{id}", fill(r.collection, call).trim_start_matches('/'));
        for (field, template) in r.defaults {
            if !item.contains_key(*field) {
                let value = expand(
                    template,
                    counter,
                    base,
                    &path,
                    &item,
                    &call.route.params,
                    &self.time.now(),
                );
                item.insert((*field).into(), value);
            }
        }
        let Items::Collection(list) = self.under(r, parent) else {
            unreachable!("a collection's items")
        };
        if list.iter().any(|(i, _)| *i == id) {
            let message = r
                .exists
                .map_or_else(|| format!("{} {id} already exists.", label(r)), |t| message(t, call));
            return fault(409, "conflictingRequest", &message);
        }
        let item = Value::Object(item);
        list.push((id, item.clone()));
        call.respond(&shaped(info, Payload::Item(item)), None)
    }

    /// An action on an item: adds to or removes from another resource's store, and answers
    /// with that store's items.
    fn effect(&mut self, call: &Call<'_>, _base: &str) -> ResponseTemplate {
        let info = call.info();
        let Some(effect) = info.store else {
            return call.respond(&Value::Null, None);
        };
        let Some(target) = resource(effect.resource) else {
            return fault(
                500,
                "computeFault",
                &format!("fake cloud: no resource `{}`", effect.resource),
            );
        };
        let item: Map<String, Value> = effect
            .item
            .iter()
            .map(|(field, source)| ((*field).to_string(), value_of(*source, call)))
            .collect();
        let parent: Vec<&str> = params_of(target.collection).filter_map(|p| call.param(p)).collect();
        let Items::Collection(list) = self.under(target, parent.join("/")) else {
            unreachable!("a collection's items")
        };
        let same = |v: &Value| item.iter().all(|(k, x)| v.get(k) == Some(x));
        let present = list.iter().position(|(_, v)| same(v));
        match (effect.adds, present) {
            (true, Some(_)) => {
                let message = target.exists.map_or_else(
                    || format!("{} already has this item.", label(target)),
                    |t| message(t, call),
                );
                return fault(409, "conflictingRequest", &message);
            }
            (true, None) => list.push((String::new(), Value::Object(item))),
            (false, Some(i)) => {
                list.remove(i);
            }
            (false, None) => return missing(target, call),
        }
        let items: Vec<Value> = list.iter().map(|(_, v)| v.clone()).collect();
        let payload = match info.answer {
            Answer::Body(shape) if shape.list => Payload::Items(items, None),
            _ => Payload::Whole(Value::Array(items)),
        };
        call.respond(&shaped(info, payload), None)
    }
}

/// An operation on the map, set or value `r` keeps in its `parent_field` of the parent's
/// `item` (a flavor's extra specs; a server's metadata, tags, addresses, security groups,
/// password), made its parent's default (or empty) where the item has none yet.
pub(super) fn kept(
    call: &Call<'_>,
    r: &'static ResourceInfo,
    item: &mut Map<String, Value>,
    base: &str,
    counter: u64,
) -> ResponseTemplate {
    kept_until(call, r, item, base, counter, false).0
}

/// A change to items kept in a parent's field that waits for the end of the call's instance
/// action (an attachment appears, or goes, when its attach or detach has ended).
#[derive(Debug, Clone)]
pub(super) struct ItemChange {
    resource: &'static ResourceInfo,
    /// The item to add, or the ID of the one to remove.
    add: Option<Value>,
    remove: Option<String>,
}

impl ItemChange {
    /// Makes the change in the parent's fields.
    pub(super) fn apply(self, parent: &mut Map<String, Value>) {
        let (Some(field), id_field) = (self.resource.parent_field, self.resource.id_field) else {
            return;
        };
        let Value::Array(list) = parent.entry(field).or_insert_with(|| json!([])) else {
            return;
        };
        if let Some(id) = self.remove {
            list.retain(|v| v.get(id_field).map(text).as_deref() != Some(id.as_str()));
        }
        if let Some(item) = self.add {
            list.push(item);
        }
    }
}

/// As [`kept`]; where `defer`, an item a `POST` makes or a `DELETE` removes is not added or
/// removed yet but returned as the change to make when the call's work ends (the answer is
/// what Nova answers at once: the item as it will be, or nothing).
pub(super) fn kept_until(
    call: &Call<'_>,
    r: &'static ResourceInfo,
    item: &mut Map<String, Value>,
    base: &str,
    counter: u64,
    defer: bool,
) -> (ResponseTemplate, Option<ItemChange>) {
    let Some(field) = r.parent_field else {
        return (missing(r, call), None);
    };
    if r.kind == ResourceKind::Collection {
        let value = item
            .entry(field)
            .or_insert_with(|| parent_default(r).unwrap_or_else(|| json!([])));
        return match value {
            Value::Array(list) => items_op(call, r, list, base, counter, defer),
            _ => (
                fault(500, "computeFault", &format!("fake cloud: `{field}` holds no list")),
                None,
            ),
        };
    }
    (kept_value(call, r, item, field), None)
}

/// Items with IDs kept in a parent's field (a server's volume attachments and ports): listed
/// (paged as the list pages), shown, made from the request and the resource's defaults
/// (filled in at any depth: a requested address keeps the default's subnet), changed and
/// removed.
fn items_op(
    call: &Call<'_>,
    r: &'static ResourceInfo,
    list: &mut Vec<Value>,
    base: &str,
    counter: u64,
    defer: bool,
) -> (ResponseTemplate, Option<ItemChange>) {
    let info = call.info();
    let id = r.id.and_then(|p| call.param(p)).map(str::to_string);
    let position = |list: &[Value], id: &str| {
        list.iter()
            .position(|v| v.get(r.id_field).map(text).as_deref() == Some(id))
    };
    match (info.method, id) {
        (Method::Get, None) => {
            let path = fill(info.path_at(call.version), call);
            (self::list(call, list.clone(), r, base, &path), None)
        }
        (Method::Get, Some(id)) => match position(list, &id) {
            Some(i) => (call.respond(&shaped(info, Payload::Item(list[i].clone())), None), None),
            None => (missing(r, call), None),
        },
        (Method::Post, None) => {
            let mut item: Map<String, Value> = match &call.args {
                Value::Object(fields) => fields
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                _ => Map::new(),
            };
            let path = fill(r.collection, call);
            for (field, template) in r.defaults {
                let default = expand(template, counter, base, &path, &item, &call.route.params, &call.now);
                match item.get_mut(*field) {
                    Some(given) => fill_defaults(given, &default),
                    None => {
                        item.insert((*field).into(), default);
                    }
                }
            }
            let Some(new_id) = item.get(r.id_field).map(text) else {
                return (
                    fault(400, "badRequest", &format!("fake cloud: no `{}`", r.id_field)),
                    None,
                );
            };
            if position(list, &new_id).is_some() {
                let message = r.exists.map_or_else(
                    || format!("{} {new_id} already exists.", label(r)),
                    |t| message(t, call),
                );
                return (fault(409, "conflictingRequest", &message), None);
            }
            let item = Value::Object(item);
            let answer = call.respond(&shaped(info, Payload::Item(item.clone())), None);
            if defer {
                let change = ItemChange {
                    resource: r,
                    add: Some(item),
                    remove: None,
                };
                return (answer, Some(change));
            }
            list.push(item);
            (answer, None)
        }
        (Method::Put, Some(id)) => match position(list, &id) {
            Some(i) => {
                if let (Value::Object(item), Value::Object(changes)) = (&mut list[i], &call.args) {
                    for (k, v) in changes.iter().filter(|(_, v)| !v.is_null()) {
                        item.insert(k.clone(), v.clone());
                    }
                }
                (call.respond(&shaped(info, Payload::Item(list[i].clone())), None), None)
            }
            None => (missing(r, call), None),
        },
        (Method::Delete, Some(id)) => match position(list, &id) {
            Some(i) => {
                let answer = call.respond(&Value::Null, None);
                if defer {
                    let change = ItemChange {
                        resource: r,
                        add: None,
                        remove: Some(id),
                    };
                    return (answer, Some(change));
                }
                list.remove(i);
                (answer, None)
            }
            None => (missing(r, call), None),
        },
        _ => (not_found("The resource could not be found."), None),
    }
}

/// What Nova refuses before it does anything to items kept in a parent's field (no action is
/// recorded then): a `missing` item the call names (404), or, where not `missing`, an item
/// a create names already there (409).
pub(super) fn kept_refusal(
    call: &Call<'_>,
    r: &'static ResourceInfo,
    parent: &Map<String, Value>,
    missing_only: bool,
) -> Option<ResponseTemplate> {
    let field = r.parent_field.filter(|_| r.kind == ResourceKind::Collection)?;
    let list = parent
        .get(field)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let has = |id: &str| list.iter().any(|v| v.get(r.id_field).map(text).as_deref() == Some(id));
    match r.id.and_then(|p| call.param(p)) {
        Some(id) if missing_only && !has(id) => Some(missing(r, call)),
        None if !missing_only && call.info().method == Method::Post => {
            let id = call.args.get(r.id_field).map(text)?;
            has(&id).then(|| {
                let message = r
                    .exists
                    .map_or_else(|| format!("{} {id} already exists.", label(r)), |t| message(t, call));
                fault(409, "conflictingRequest", &message)
            })
        }
        _ => None,
    }
}

/// Fills in what `value` leaves out from `default`, at any depth: an object's missing keys,
/// and each object of a list from the default list's first.
fn fill_defaults(value: &mut Value, default: &Value) {
    match (value, default) {
        (Value::Object(given), Value::Object(default)) => {
            for (k, d) in default {
                match given.get_mut(k) {
                    Some(v) => fill_defaults(v, d),
                    None => {
                        given.insert(k.clone(), d.clone());
                    }
                }
            }
        }
        (Value::Array(given), Value::Array(default)) => {
            if let Some(first) = default.first() {
                for v in given {
                    fill_defaults(v, first);
                }
            }
        }
        _ => {}
    }
}

/// A map, set or value kept in `field` of the parent's `item`.
fn kept_value(
    call: &Call<'_>,
    r: &ResourceInfo,
    item: &mut Map<String, Value>,
    field: &'static str,
) -> ResponseTemplate {
    let method = call.info().method;
    let key = r.id.and_then(|p| call.param(p)).map(str::to_string);
    let value = item.entry(field).or_insert_with(|| {
        parent_default(r).unwrap_or_else(|| match r.kind {
            ResourceKind::Set => json!([]),
            ResourceKind::Map => json!({}),
            ResourceKind::Collection | ResourceKind::Value => Value::Null,
        })
    });
    match (r.kind, value) {
        (ResourceKind::Map, Value::Object(map)) => map_op(call, r, map, method, key),
        (ResourceKind::Set, Value::Array(set)) => set_op(call, r, set, method, key),
        (ResourceKind::Value, value) => match method {
            Method::Get => call.respond(&shaped(call.info(), Payload::Whole(value.clone())), None),
            Method::Delete => {
                *value = parent_default(r).unwrap_or(Value::Null);
                call.respond(&Value::Null, None)
            }
            _ => not_found("The resource could not be found."),
        },
        (kind, _) => fault(
            500,
            "computeFault",
            &format!(
                "fake cloud: `{field}` of {} holds no {kind:?}",
                r.parent.unwrap_or("its parent")
            ),
        ),
    }
}

/// What `r`'s parent gives its items in `r`'s field (a server's `password`: ""), as JSON.
fn parent_default(r: &ResourceInfo) -> Option<Value> {
    let field = r.parent_field?;
    let parent = resource(r.parent?)?;
    let (_, template) = parent.defaults.iter().find(|(f, _)| *f == field)?;
    // A parent field's default is a plain value (a password's ""): no time in it.
    Some(expand(
        template,
        0,
        "",
        "",
        &Map::new(),
        &[],
        &Timestamp::from(std::time::SystemTime::UNIX_EPOCH),
    ))
}

/// A value the facts point at: a request field, a path parameter, or a literal.
fn value_of(source: Source, call: &Call<'_>) -> Value {
    match source {
        Source::Request(field) => call.args.get(field).cloned().unwrap_or(Value::Null),
        Source::Param(name) => call.param(name).map_or(Value::Null, |v| Value::String(v.into())),
        Source::Json(text) => serde_json::from_str(text).unwrap_or(Value::Null),
    }
}

fn map_op(
    call: &Call<'_>,
    r: &ResourceInfo,
    map: &mut Map<String, Value>,
    method: Method,
    key: Option<String>,
) -> ResponseTemplate {
    let info = call.info();
    // The map a request carries: the whole body (`{"k": "v"}`), or its one field.
    let sent = || -> Map<String, Value> {
        match &call.args {
            Value::Object(o) if o.len() == 1 && o.values().all(Value::is_object) => o
                .values()
                .next()
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            Value::Object(o) => o.clone(),
            _ => Map::new(),
        }
    };
    match (method, key) {
        (Method::Get, None) => call.respond(&shaped(info, Payload::Whole(Value::Object(map.clone()))), None),
        (Method::Post, None) => {
            map.extend(sent());
            call.respond(&shaped(info, Payload::Whole(Value::Object(map.clone()))), None)
        }
        (Method::Put, None) => {
            *map = sent();
            call.respond(&shaped(info, Payload::Whole(Value::Object(map.clone()))), None)
        }
        (Method::Get, Some(k)) => match map.get(&k) {
            Some(v) => call.respond(&shaped(info, Payload::Whole(json!({ k: v }))), None),
            None => missing(r, call),
        },
        (Method::Put, Some(k)) => {
            let one = sent();
            if !one.contains_key(&k) || one.len() != 1 {
                return fault(400, "badRequest", "Request body and URI mismatch");
            }
            map.extend(one.clone());
            call.respond(&shaped(info, Payload::Whole(Value::Object(one))), None)
        }
        (Method::Delete, Some(k)) => match map.remove(&k) {
            Some(_) => call.respond(&Value::Null, None),
            None => missing(r, call),
        },
        _ => not_found("The resource could not be found."),
    }
}

fn set_op(
    call: &Call<'_>,
    r: &ResourceInfo,
    set: &mut Vec<Value>,
    method: Method,
    member: Option<String>,
) -> ResponseTemplate {
    let info = call.info();
    let sent = || match &call.args {
        Value::Object(o) => o.values().next().and_then(Value::as_array).cloned().unwrap_or_default(),
        _ => Vec::new(),
    };
    match (method, member) {
        // The members as a list of items (a server's security groups), or in the one field.
        (Method::Get, None) => match info.answer {
            Answer::Body(shape) if shape.list => call.respond(&shaped(info, Payload::Items(set.clone(), None)), None),
            _ => call.respond(&shaped(info, Payload::Whole(Value::Array(set.clone()))), None),
        },
        (Method::Put, None) => {
            *set = sent();
            call.respond(&shaped(info, Payload::Whole(Value::Array(set.clone()))), None)
        }
        (Method::Delete, None) => {
            set.clear();
            call.respond(&Value::Null, None)
        }
        (Method::Get, Some(m)) if set.iter().any(|v| text(v) == m) => call.respond(&Value::Null, None),
        (Method::Get | Method::Delete, Some(m)) if !set.iter().any(|v| text(v) == m) => missing(r, call),
        (Method::Put, Some(m)) => {
            let new = !set.iter().any(|v| text(v) == m);
            if new {
                set.push(Value::String(m));
            }
            // Where the outcome decides the code: the first for a new member, the last for one
            // that was there.
            let codes: Vec<u16> = info
                .status
                .iter()
                .filter(|s| s.range.contains(call.version))
                .map(|s| s.code)
                .collect();
            let code = if new { codes.first() } else { codes.last() };
            ResponseTemplate::new(code.copied().unwrap_or(204))
        }
        (Method::Delete, Some(m)) => {
            set.retain(|v| text(v) != m);
            call.respond(&Value::Null, None)
        }
        _ => not_found("The resource could not be found."),
    }
}

/// What an answer is made of: one item, a page of items, or a whole value (a map, a list).
pub(super) enum Payload {
    Item(Value),
    Items(Vec<Value>, Option<Value>),
    Whole(Value),
}

/// The JSON Nova answers with, shaped as the operation's response: under its key, as a list
/// (with paging links), or in its one field.
pub(super) fn shaped(info: &OperationInfo, payload: Payload) -> Value {
    let Answer::Body(shape) = info.answer else {
        return Value::Null;
    };
    match payload {
        Payload::Items(items, links) => {
            let items: Vec<Value> = match shape.item_wrap {
                Some(key) => items.into_iter().map(|i| json!({ key: i })).collect(),
                None => items,
            };
            let mut out = Map::new();
            out.insert(shape.wrap.unwrap_or("items").into(), Value::Array(items));
            if let (Some(key), Some(links)) = (shape.links, links) {
                out.insert(key.into(), links);
            }
            Value::Object(out)
        }
        Payload::Item(item) => match shape.wrap {
            Some(key) => json!({ key: item }),
            None => item,
        },
        Payload::Whole(value) => {
            let entries = shape
                .fields
                .iter()
                .any(|f| f.location == crate::codec::Location::Entries);
            // A value kept whole is the body when the body has several fields (a server's
            // topology), else it goes under the one field (a password).
            let body_fields = shape
                .fields
                .iter()
                .filter(|f| f.location == crate::codec::Location::Body);
            match (body_fields.clone().next(), body_fields.count()) {
                (Some(f), 1) if !entries => json!({ f.json: value }),
                _ => value,
            }
        }
    }
}

/// A page of a list, as the list pages: by `marker` (the ID of the last item of the previous
/// page) with a `next` link while there is more, or by `offset`.
fn list(call: &Call<'_>, items: Vec<Value>, r: &ResourceInfo, base: &str, path: &str) -> ResponseTemplate {
    let info = call.info();
    let get = |k: &str| call.query.iter().find(|(q, _)| q == k).map(|(_, v)| v.clone());
    let mut items = items;
    let limit = get("limit").and_then(|l| l.parse::<usize>().ok());
    let mut links = None;
    match info.paging {
        Some(Paging::Marker { since }) if call.version >= since => {
            if let Some(marker) = get("marker") {
                match items
                    .iter()
                    .position(|i| i.get(r.id_field).map(text).as_deref() == Some(&marker))
                {
                    Some(i) => items = items.split_off(i + 1),
                    None => return fault(400, "badRequest", &format!("marker [{marker}] not found")),
                }
            }
            if let Some(limit) = limit.filter(|l| *l > 0 && items.len() > *l) {
                items.truncate(limit);
                let last = items[limit - 1].get(r.id_field).map(text).unwrap_or_default();
                links = Some(json!([{
                    "href": format!("{base}/compute/v2.1{path}?limit={limit}&marker={last}"),
                    "rel": "next",
                }]));
            }
        }
        Some(Paging::Offset) => {
            let offset = get("offset").and_then(|o| o.parse::<usize>().ok()).unwrap_or(0);
            items = items.into_iter().skip(offset).collect();
            if let Some(limit) = limit {
                items.truncate(limit);
            }
        }
        _ => {}
    }
    match info.answer {
        Answer::Body(shape) if shape.list => call.respond(&shaped(info, Payload::Items(items, links)), None),
        _ => call.respond(&shaped(info, Payload::Whole(Value::Array(items))), None),
    }
}

/// `template` with the call's parameters filled in.
fn fill(template: &str, call: &Call<'_>) -> String {
    let mut out = String::new();
    for part in template.split('/').filter(|p| !p.is_empty()) {
        out.push('/');
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => out.push_str(call.param(name).unwrap_or_default()),
            None => out.push_str(part),
        }
    }
    out
}

/// A default's JSON template with what it names filled in: a whole template (`{uuid}`), or
/// JSON whose strings may be templates (`["{/policy}"]`). `{/a/0}` is a JSON pointer into the
/// item as it stands (its request's fields, and the defaults filled in before it): a field
/// another microversion names differently (a server group's `policies`, from its `policy`).
pub(super) fn expand(
    template: &str,
    counter: u64,
    base: &str,
    path: &str,
    item: &Map<String, Value>,
    params: &[(String, String)],
    now: &Timestamp,
) -> Value {
    let one = |t: &str| -> Option<Value> {
        Some(match t {
            "{uuid}" => Value::String(uuid(counter)),
            "{now}" => Value::String(now.as_str().to_string()),
            "{serial}" => Value::from(counter),
            "{user_id}" => Value::String(USER_ID.into()),
            "{project_id}" => Value::String(PROJECT_ID.into()),
            "{links}" => links(base, path),
            _ => {
                let pointer = t.strip_prefix('{')?.strip_suffix('}')?;
                // A path parameter of the request that makes the item (`{server_id}`).
                if let Some((_, value)) = params.iter().find(|(name, _)| name == pointer) {
                    return Some(Value::String(value.clone()));
                }
                if !pointer.starts_with('/') {
                    return None;
                }
                Value::Object(item.clone())
                    .pointer(pointer)
                    .cloned()
                    .unwrap_or(Value::Null)
            }
        })
    };
    fn walk(v: Value, one: &dyn Fn(&str) -> Option<Value>) -> Value {
        match v {
            Value::String(s) => one(&s).unwrap_or(Value::String(s)),
            Value::Array(a) => Value::Array(a.into_iter().map(|x| walk(x, one)).collect()),
            Value::Object(o) => Value::Object(o.into_iter().map(|(k, x)| (k, walk(x, one))).collect()),
            other => other,
        }
    }
    match one(template) {
        Some(v) => v,
        None => walk(
            serde_json::from_str(template).unwrap_or_else(|_| Value::String(template.into())),
            &one,
        ),
    }
}

/// A UUID the fake makes up, unique in its run.
pub(super) fn uuid(counter: u64) -> String {
    format!("00000000-0000-4000-8000-{counter:012x}")
}

/// A JSON scalar as text (an ID may be a number).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Nova's 404 for an item of `r` that is not there: its resource's message, or a generic one.
fn missing(r: &ResourceInfo, call: &Call<'_>) -> ResponseTemplate {
    match r.not_found {
        Some(template) => not_found(&message(template, call)),
        None => not_found(&format!("{} could not be found.", label(r))),
    }
}

/// A message template (`Flavor {flavor_id} could not be found.`) with what it names filled
/// in: a path parameter, a request field, or the user's or project's ID.
pub(super) fn message(template: &str, call: &Call<'_>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some((before, after)) = rest.split_once('{') {
        let Some((name, tail)) = after.split_once('}') else {
            break;
        };
        out.push_str(before);
        let value = match name {
            "user_id" => Some(USER_ID.to_string()),
            "project_id" => Some(PROJECT_ID.to_string()),
            _ => call
                .param(name)
                .map(str::to_string)
                .or_else(|| call.args.get(name).map(text)),
        };
        out.push_str(&value.unwrap_or_default());
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// `Flavor`, `Keypair`: how Nova's messages name an item of the resource.
fn label(r: &ResourceInfo) -> String {
    let mut name = r.name.replace('_', " ");
    if let Some(first) = name.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    name
}
