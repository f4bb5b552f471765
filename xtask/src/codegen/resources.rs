//! The resource handles (`generated/resources.rs`): for each resource of `spec/resources/`,
//! the handle of its collection (`compute.flavors()`, `flavor.extra_specs()`) and of one item
//! (`compute.flavor(id)`), the methods that return them, and a lookup by name where the spec
//! gives one. The methods that start each operation's call are in the operation's module.

use proc_macro2::TokenStream;
use quote::quote;

use super::{docs, ident, lit};
use crate::model::{Model, Op, Resource, Shape, segments};

/// The resource named `name`.
pub(super) fn resource<'a>(model: &'a Model, name: &str) -> &'a Resource {
    model
        .resources
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("resource `{name}` (validated)"))
}

/// The name of a resource's `ResourceInfo` static (`SERVER`).
pub(crate) fn resource_static(name: &str) -> syn::Ident {
    ident(&name.to_uppercase())
}

/// The facts of a resource, as the `ResourceInfo` its operations point at.
fn resource_info(r: &Resource) -> TokenStream {
    let st = resource_static(&r.name);
    let (name, collection, id_field) = (&r.name, &r.collection, &r.id_field);
    let id = match &r.id {
        Some(id) => quote!(Some(#id)),
        None => quote!(None),
    };
    let parent = match &r.parent {
        Some(p) => quote!(Some(#p)),
        None => quote!(None),
    };
    let kind = ident(&format!("{:?}", r.kind));
    let some = |v: &Option<String>| match v {
        Some(f) => quote!(Some(#f)),
        None => quote!(None),
    };
    let (parent_field, not_found, exists) = (some(&r.parent_field), some(&r.not_found), some(&r.exists));
    let defaults = r.defaults.iter().map(|(k, v)| quote!((#k, #v)));
    let doc = docs(Some(&format!(
        "The facts of the resource `{name}` (`spec/resources/{name}.yaml`)."
    )));
    quote!(
        #doc
        pub static #st: crate::operation::ResourceInfo = crate::operation::ResourceInfo {
            name: #name,
            collection: #collection,
            id: #id,
            id_field: #id_field,
            kind: crate::operation::ResourceKind::#kind,
            parent: #parent,
            parent_field: #parent_field,
            not_found: #not_found,
            exists: #exists,
            defaults: &[#(#defaults),*],
        };
    )
}

/// Where an operation is offered: the handle type, the chain that reaches it
/// (`compute.flavor(id).extra_specs()`), and the parameter its methods take first when the
/// operation is on one item of a collection without item handles.
pub(crate) struct Offer {
    pub ty: String,
    pub chain: String,
    pub id_param: Option<String>,
}

/// How to reach a resource's collection (`item: false`) or item handle from the client.
pub(crate) fn chain(model: &Model, r: &Resource, item: bool) -> String {
    let start = match &r.parent {
        Some(p) => chain(model, resource(model, p), true),
        None => "compute".to_string(),
    };
    match (item, &r.item_handle) {
        (true, Some(h)) => format!("{start}.{}(id)", h.method),
        _ => format!("{start}.{}()", r.collection_handle.method),
    }
}

pub(crate) fn offer(model: &Model, op: &Op) -> Offer {
    let r = resource(model, &op.resource);
    match (op.on_item, &r.item_handle) {
        (true, Some(h)) => Offer {
            ty: h.ty.clone(),
            chain: chain(model, r, true),
            id_param: None,
        },
        (true, None) => Offer {
            ty: r.collection_handle.ty.clone(),
            chain: chain(model, r, false),
            id_param: r.id.clone(),
        },
        (false, _) => Offer {
            ty: r.collection_handle.ty.clone(),
            chain: chain(model, r, false),
            id_param: None,
        },
    }
}

/// Whether the operation's call goes to a server (its handle's path holds one server's): its
/// waits can follow the server's state machine.
pub(crate) fn on_server_item(model: &Model, op: &Op) -> bool {
    let mut r = resource(model, &op.resource);
    if r.name == "server" {
        return op.on_item;
    }
    while let Some(p) = &r.parent {
        r = resource(model, p);
        if r.name == "server" {
            return true;
        }
    }
    false
}

/// The literal segments between the parent's item path (or the endpoint) and this collection.
pub(crate) fn literals(model: &Model, r: &Resource) -> Vec<String> {
    let skip = match &r.parent {
        Some(p) => resource(model, p).item_path().map_or(0, |i| segments(&i).len()),
        None => 0,
    };
    segments(&r.collection)
        .into_iter()
        .skip(skip)
        .map(String::from)
        .collect()
}

pub(super) fn resources(model: &Model) -> Result<TokenStream, String> {
    let mut out = Vec::new();
    for r in &model.resources {
        out.push(resource_info(r));
        out.push(resource_handles(model, r)?);
    }
    Ok(quote!(
        //! The handles of every resource of `spec/resources/`: what `compute.servers()`,
        //! `compute.server(id)`, `compute.flavor(id).extra_specs()` and the like return. Each
        //! operation's module adds the method that starts its call to its resource's handle.
        #![allow(clippy::needless_lifetimes)]
        use crate::call::Base;
        use crate::operation::{OnHandle, VersionedRequest};

        #(#out)*
    ))
}

/// The methods every handle has.
fn common(ty: &syn::Ident, item: bool) -> TokenStream {
    let id = item.then(|| {
        quote!(
            /// The ID this handle names.
            pub fn id(&self) -> &str {
                self.base.id()
            }
        )
    });
    quote!(
        #[doc(hidden)]
        pub fn from_base(base: Base) -> #ty {
            #ty { base }
        }

        #[doc(hidden)]
        pub fn base(&self) -> &Base {
            &self.base
        }

        /// The client this handle belongs to.
        pub fn compute(&self) -> &crate::Compute {
            self.base.compute()
        }

        #id

        /// Sends a per-microversion request of an operation on this handle
        /// (`rebuild::V2_63::new(image)`) at a microversion of its range that the cloud
        /// supports, and returns the response type of that range.
        pub async fn send<V>(&self, request: V) -> Result<crate::Output<V::Response>, crate::Error>
        where
            V: VersionedRequest,
            V::Operation: OnHandle<#ty>,
        {
            crate::call::send_versioned(&self.base, request).await
        }
    )
}

fn resource_handles(model: &Model, r: &Resource) -> Result<TokenStream, String> {
    let literals = literals(model, r);
    let lits = literals.iter().map(|l| lit(l));
    let coll_ty = ident(&r.collection_handle.ty);
    let coll_method = ident(&r.collection_handle.method);
    let coll_chain = chain(model, r, false);
    let coll_doc = docs(Some(&format!(
        "{} `{coll_chain}`: the collection (`{}`).",
        r.doc, r.collection
    )));
    let coll_common = common(&coll_ty, false);
    let find = find_by_name(model, r)?;
    let (parent_ty, parent_base) = match &r.parent {
        Some(p) => {
            let p = resource(model, p);
            let h = p
                .item_handle
                .as_ref()
                .ok_or_else(|| format!("resource `{}`: its parent `{}` has no item handle", r.name, p.name))?;
            (ident(&h.ty), quote!(self.base.clone()))
        }
        None => (ident("Compute"), quote!(Base::root(self))),
    };
    let accessor_doc = docs(Some(&format!("{} `{coll_chain}`.", r.doc)));
    let mut tokens = quote!(
        #coll_doc
        #[derive(Clone, Debug)]
        pub struct #coll_ty {
            base: Base,
        }

        impl #coll_ty {
            #coll_common
            #find
        }

        impl crate::#parent_ty {
            #accessor_doc
            pub fn #coll_method(&self) -> #coll_ty {
                #coll_ty::from_base(#parent_base)
            }
        }
    );
    if let (Some(h), Some(id)) = (&r.item_handle, &r.id) {
        let item_ty = ident(&h.ty);
        let item_method = ident(&h.method);
        let item_chain = chain(model, r, true);
        let item_doc = docs(Some(&format!(
            "{} `{item_chain}`: one item (`{}/{{{id}}}`). Each operation on it is a method here.",
            r.doc, r.collection
        )));
        let item_common = common(&item_ty, true);
        let accessor_doc = docs(Some(&format!("{} `{item_chain}`.", r.doc)));
        let id_name = lit(id);
        tokens.extend(quote!(
            #item_doc
            #[derive(Clone, Debug)]
            pub struct #item_ty {
                base: Base,
            }

            impl #item_ty {
                #item_common
            }

            impl crate::#parent_ty {
                #accessor_doc
                pub fn #item_method(&self, id: impl Into<String>) -> #item_ty {
                    #item_ty::from_base(#parent_base.item(&[#(#lits),*], #id_name, id.into()))
                }
            }
        ));
    }
    Ok(tokens)
}

/// `find_by_name` on a collection's handle, where the spec gives one.
fn find_by_name(model: &Model, r: &Resource) -> Result<TokenStream, String> {
    let Some(f) = &r.find_by_name else {
        return Ok(quote!());
    };
    let op = model.op(&f.operation).ok_or_else(|| {
        format!(
            "resource `{}`: find_by_name's `{}` is no operation",
            r.name, f.operation
        )
    })?;
    let list = op
        .response
        .as_ref()
        .filter(|resp| resp.list)
        .ok_or_else(|| format!("resource `{}`: `{}` is not a list", r.name, f.operation))?;
    let item_name = list.of.clone().expect("a list has an item type");
    let item_ty = ident(&item_name);
    let t = model.ty(&item_name).expect("resolved");
    let field = t
        .fields
        .iter()
        .find(|x| x.json == f.field)
        .ok_or_else(|| format!("resource `{}`: `{item_name}` has no field `{}`", r.name, f.field))?;
    let n = ident(&field.rust);
    let name_of = match t.unified[&field.rust] {
        Shape::Plain => quote!(Some(x.#n.as_str())),
        Shape::Option => quote!(x.#n.as_deref()),
        Shape::Nullable => quote!(x.#n.value().map(String::as_str)),
        Shape::List => return Err(format!("resource `{}`: a name is not a list", r.name)),
    };
    let method = ident(&op.clients[0].method);
    let what = &r.name;
    let filter = f.filter.as_ref().map(|param| {
        let setter = ident(
            &op.request
                .iter()
                .find(|x| &x.json == param)
                .map(|x| x.rust.clone())
                .unwrap_or_else(|| param.clone()),
        );
        let value = if f.regex {
            quote!(crate::paging::exact_regex(name))
        } else {
            quote!(name)
        };
        quote!(
            if call.accepts(#param).await? {
                call = call.#setter(#value);
            }
        )
    });
    let how = match (&f.filter, f.regex) {
        (Some(p), true) => format!(
            "Nova's `{p}` filter is a regular expression, so the name is escaped and anchored; the items are then checked for the exact name"
        ),
        (Some(p), false) => format!(
            "Nova filters by `{p}` where the microversion has that filter; every item is checked for the exact name"
        ),
        (None, _) => "every item is listed and checked for the exact name".to_string(),
    };
    let doc = docs(Some(&format!(
        "The one {what} named exactly `name`, from `{}` ({how}). None, or more than one, is an [`Error::NameLookup`](crate::Error::NameLookup): names are not unique.",
        f.operation
    )));
    Ok(quote!(
        #doc
        pub async fn find_by_name(&self, name: &str) -> Result<crate::types::#item_ty, crate::Error> {
            #[allow(unused_mut)]
            let mut call = self.#method();
            #filter
            let items = call.collect().await?;
            crate::paging::the_one(#what, name, items, |x| #name_of)
        }
    ))
}
