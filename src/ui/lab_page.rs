use yew::prelude::*;
#[derive(Properties, PartialEq)]
pub struct LabPageProps { pub focus: Option<String> }
#[function_component(LabPage)]
pub fn lab_page(_p: &LabPageProps) -> Html { html! { <p>{"lab"}</p> } }
