//! Reading the types written in the generated definitions.

use syn::{GenericArgument, PathArguments, Type};

/// The `T` of `Wrapper<T>` (`Option<T>`, `Nullable<T>`), or the type itself when it is not
/// that wrapper.
pub fn peel(ty: &Type, wrapper: &str) -> Type {
    if let Type::Path(p) = ty
        && let Some(last) = p.path.segments.last()
        && last.ident == wrapper
        && let PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(GenericArgument::Type(inner)) = args.args.first()
    {
        return inner.clone();
    }
    ty.clone()
}
