//! Stages that follow the programme's sound (their plugin imports
//! `audio`): the sound comes from the root source of their first input,
//! and a root without sound deserves a word before anything runs.

use super::*;

impl Checker<'_> {
    pub(super) fn check_sound(
        &mut self,
        defs: &[Spanned<StageDef>],
        sources: &[SourcePlan],
        stages: &[StagePlan],
    ) {
        for stage in stages {
            let StageWork::Plugin(spec) = &stage.work else {
                continue;
            };
            if !spec.plugin.follows_sound {
                continue;
            }
            // Up the first inputs to a source (a cycle, reported
            // elsewhere, ends the walk).
            let mut id = stage.id.as_str();
            let mut root = None;
            for _ in 0..=stages.len() {
                if let Some(source) = sources.iter().find(|s| s.id == id) {
                    root = Some(source);
                    break;
                }
                match stages
                    .iter()
                    .find(|s| s.id == id)
                    .and_then(|s| s.inputs.first())
                {
                    Some(input) => id = input,
                    None => break,
                }
            }
            let Some(root) = root.filter(|r| r.audio.is_empty()) else {
                continue;
            };
            let Some(def) = defs.iter().find(|d| d.get_ref().id.get_ref() == &stage.id) else {
                continue;
            };
            let warning = self.error(
                def.get_ref().id.span(),
                format!(
                    "stage `{}`: plugin `{}` follows the programme's sound, but source `{}` has none: the stage gets no sound",
                    stage.id, spec.plugin.description.name, root.id
                ),
            );
            self.warnings.push(warning);
        }
    }
}
