use yew::prelude::*;
use crate::route::LessonQuery;
#[derive(Properties, PartialEq)]
pub struct LessonPageProps { pub lesson: &'static str, pub query: LessonQuery }
#[function_component(LessonPage)]
pub fn lesson_page(_p: &LessonPageProps) -> Html {
    let lock = use_state(|| false);
    let l2 = lock.clone();
    html! { <super::real::RealCounter lock_on={*lock} on_set_lock={Callback::from(move |v| l2.set(v))} /> }
}
