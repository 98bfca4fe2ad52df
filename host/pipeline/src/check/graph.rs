//! How stages connect: inputs that exist, cycles, and an order to build in.

use super::*;

impl Checker<'_> {
    /// The ids a stage takes input from (`input = "a"` or
    /// `inputs = ["a", "b"]`), each checked; empty when any is wrong.
    pub(super) fn stage_inputs(&mut self, def: &Spanned<StageDef>, known: &[String]) -> Vec<Text> {
        let s = def.get_ref();
        let id = s.id.get_ref();
        let list = match (&s.input, &s.inputs) {
            (Some(input), None) => vec![input.clone()],
            (None, Some(list)) if !list.get_ref().is_empty() => list.get_ref().clone(),
            (None, Some(list)) => {
                self.complain(list.span(), format!("stage `{id}` has an empty `inputs`"));
                return Vec::new();
            }
            (Some(_), Some(list)) => {
                self.complain(
                    list.span(),
                    format!("stage `{id}` has both `input` and `inputs`; keep one"),
                );
                return Vec::new();
            }
            (None, None) => {
                self.complain(
                    def.span(),
                    format!("stage `{id}` needs an `input` (a source or stage id)"),
                );
                return Vec::new();
            }
        };
        let mut ok = true;
        for input in &list {
            ok &= self.check_reference(input, known, Some(id)).is_some();
        }
        if ok { list } else { Vec::new() }
    }

    pub(super) fn check_reference(
        &mut self,
        input: &Text,
        known: &[String],
        this: Option<&str>,
    ) -> Option<()> {
        let name = input.get_ref();
        if this == Some(name.as_str()) {
            self.complain(
                input.span(),
                format!("stage `{name}` takes itself as input"),
            );
            return None;
        }
        if !known.contains(name) {
            let e = self
                .error(input.span(), format!("no source or stage has id `{name}`"))
                .suggest(closest(name, known.iter().map(String::as_str)));
            self.report(e);
            return None;
        }
        Some(())
    }

    /// Reports each cycle of stage inputs once, at the input that closes it.
    pub(super) fn check_cycles(&mut self, stages: &[Spanned<StageDef>], inputs: &[Vec<Text>]) {
        let index = stage_index(stages);
        let mut state = vec![Visit::New; stages.len()];
        let mut path = Vec::new();
        for start in 0..stages.len() {
            if let Some((cycle, closing)) = find_cycle(start, inputs, &index, &mut state, &mut path)
            {
                let names: Vec<&str> = cycle
                    .iter()
                    .chain(std::iter::once(&cycle[0]))
                    .map(|i| stages[*i].get_ref().id.get_ref().as_str())
                    .collect();
                self.complain(
                    closing.span(),
                    format!("inputs form a cycle: {}", names.join(" <- ")),
                );
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Visit {
    New,
    OnPath,
    Done,
}

fn stage_index(stages: &[Spanned<StageDef>]) -> HashMap<&str, usize> {
    stages
        .iter()
        .enumerate()
        .map(|(i, s)| (s.get_ref().id.get_ref().as_str(), i))
        .collect()
}

/// Depth-first from `at`: the first cycle met (its stages, and the input
/// that leads back into it).
fn find_cycle(
    at: usize,
    inputs: &[Vec<Text>],
    index: &HashMap<&str, usize>,
    state: &mut [Visit],
    path: &mut Vec<usize>,
) -> Option<(Vec<usize>, Text)> {
    if state[at] != Visit::New {
        return None;
    }
    state[at] = Visit::OnPath;
    path.push(at);
    for input in &inputs[at] {
        let Some(&next) = index.get(input.get_ref().as_str()) else {
            continue;
        };
        if state[next] == Visit::OnPath {
            let from = path.iter().position(|p| *p == next).expect("on the path");
            let cycle = path[from..].to_vec();
            state[at] = Visit::Done;
            path.pop();
            return Some((cycle, input.clone()));
        }
        if let Some(found) = find_cycle(next, inputs, index, state, path) {
            state[at] = Visit::Done;
            path.pop();
            return Some(found);
        }
    }
    state[at] = Visit::Done;
    path.pop();
    None
}

/// Stage indices ordered so each comes after the stages it takes input
/// from (cycles were reported already; their order does not matter).
pub(super) fn topological(stages: &[Spanned<StageDef>], inputs: &[Vec<Text>]) -> Vec<usize> {
    let index = stage_index(stages);
    let mut done = vec![false; stages.len()];
    let mut order = Vec::new();
    fn visit(
        i: usize,
        inputs: &[Vec<Text>],
        index: &HashMap<&str, usize>,
        done: &mut [bool],
        order: &mut Vec<usize>,
    ) {
        if done[i] {
            return;
        }
        done[i] = true;
        for dep in inputs[i]
            .iter()
            .filter_map(|t| index.get(t.get_ref().as_str()))
        {
            visit(*dep, inputs, index, done, order);
        }
        order.push(i);
    }
    for i in 0..stages.len() {
        visit(i, inputs, &index, &mut done, &mut order);
    }
    order
}
