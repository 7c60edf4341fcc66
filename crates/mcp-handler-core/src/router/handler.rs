//! The handler trait: an async function of extractors, in any order
//! (axum's `Handler`, implemented for each arity by one macro).

use std::future::Future;

use super::extract::{Call, FromCall, Rejection};
use super::needs::Needs;

/// An async function whose parameters are all [`FromCall`] extractors.
/// `T` is the tuple of its parameter types; it only tells the
/// implementations apart, and is inferred.
///
/// ```
/// use mcp_handler_core::{Args, Cancellation, RequestContext, State, Tool};
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Query { text: String }
/// #[derive(Clone)]
/// struct Prefix(&'static str);
///
/// // Any order, any subset.
/// let tool = Tool::builder("search").description("Searches").handler(
///     |State(p): State<Prefix>, Args(q): Args<Query>, _c: Cancellation, _ctx: RequestContext| async move {
///         format!("{}{}", p.0, q.text)
///     },
/// );
/// ```
pub trait Handler<T>: Send + Sync + 'static {
    /// What the function's future yields.
    type Output: Send + 'static;
    /// The function's future.
    type Future: Future<Output = Self::Output> + Send + 'static;
    /// Extracts every parameter, in order, and calls the function.
    fn call(&self, call: &mut Call<'_>) -> Result<Self::Future, Rejection>;
    /// What the parameters need (see [`FromCall::describe`]).
    fn describe(needs: &mut Needs);
}

macro_rules! impl_handler {
    ($($t:ident),*) => {
        impl<F, Fut, $($t,)*> Handler<($($t,)*)> for F
        where
            F: Fn($($t),*) -> Fut + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: Send + 'static,
            $($t: FromCall,)*
        {
            type Output = Fut::Output;
            type Future = Fut;
            #[allow(non_snake_case, unused_variables)]
            fn call(&self, call: &mut Call<'_>) -> Result<Fut, Rejection> {
                $(let $t = $t::from_call(call)?;)*
                Ok(self($($t),*))
            }
            #[allow(unused_variables)]
            fn describe(needs: &mut Needs) {
                $($t::describe(needs);)*
            }
        }
    };
}

impl_handler!();
impl_handler!(T1);
impl_handler!(T1, T2);
impl_handler!(T1, T2, T3);
impl_handler!(T1, T2, T3, T4);
impl_handler!(T1, T2, T3, T4, T5);
impl_handler!(T1, T2, T3, T4, T5, T6);
impl_handler!(T1, T2, T3, T4, T5, T6, T7);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8);
