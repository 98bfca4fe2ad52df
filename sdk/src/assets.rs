//! Files of the stage's assets: the folder the pipeline grants a stage
//! (`assets = "looks"`), seen by the plugin as `/assets`.

use crate::StageError;

/// The bytes of the asset `name`: a file name in the assets folder,
/// never a path (a name with `/` or starting with `.` is refused as a
/// bad parameter). An unreadable file fails the stage's start with a
/// message naming it and saying where it was looked for.
pub fn read(name: &str) -> Result<Vec<u8>, StageError> {
    if name.contains('/') || name.starts_with('.') {
        return Err(StageError::InvalidParam(format!(
            "`{name}` must be a file name in the stage's assets"
        )));
    }
    std::fs::read(format!("/assets/{name}")).map_err(|e| {
        StageError::Failed(format!(
            "cannot read {name} from the stage's assets ({e}); set `assets` in the stage to a folder or a bundle holding it"
        ))
    })
}
