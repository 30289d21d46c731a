//! The crate-wide phase (phase 2): the linted files split into groups that cannot see each
//! other's items, each group resolved on its own (rules' resolve hooks, findings pending on a
//! type, the test-code policy, the suppressions a helper's allow uses) or replayed from the
//! cache when it saw exactly the same files, settings and project.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::analysis::facts::{FileFacts, IndexedFile};
use crate::analysis::index::CrateIndex;
use crate::diagnostic::Diagnostic;
use crate::lint::{self, Settings};
use crate::semantic::project::Project;
use crate::suppress;

/// A file of the crate-wide phase.
pub struct Member {
    /// Its position in the run's paths.
    pub position: usize,
    /// Its facts (unless `stamp` holds them encoded).
    pub facts: FileFacts,
    /// What the cache knows of it: its content hash, its facts encoded.
    pub stamp: Option<lint::Stamp>,
    /// Its suppression comments (a helper's allow cuts the chains through it).
    pub suppressions: suppress::Suppressions,
    /// Its own findings (phase 1).
    pub diagnostics: Vec<Diagnostic>,
    /// Its configuration's policy for blocking calls in tests; `None` for a context file,
    /// which reports nothing.
    pub policy: Option<crate::analysis::test_policy::BlockingInTests>,
}

/// A reported file's findings after the crate-wide phase, with the suppressions that phase used.
pub type Resolved = (usize, Vec<Diagnostic>, Vec<(usize, usize)>);

/// Phase 2, one group of files that cannot see each other's items at a time (a crate and the
/// workspace crates it depends on; [`Project::independent_groups`]), on the workers: a group
/// whose files, settings and project the cache saw last time replays its findings, the others
/// are resolved (their facts decoded only then) and remembered.
pub fn resolve_groups(
    paths: &[Arc<PathBuf>],
    members: Vec<Member>,
    project: Project,
    settings: &Settings,
    cache: Option<&crate::cache::Cache>,
) -> Vec<Resolved> {
    let refs: Vec<&Path> = members
        .iter()
        .map(|m| paths[m.position].as_path())
        .collect();
    let group_of = project.independent_groups(&refs);
    let count = group_of.iter().max().map_or(0, |m| *m as usize + 1);
    let mut groups: Vec<Vec<Member>> = (0..count).map(|_| Vec::new()).collect();
    for (m, g) in members.into_iter().zip(group_of) {
        groups[g as usize].push(m);
    }
    // Only a cached run keys its groups (the key prints the whole project).
    let digest = cache.and_then(|_| {
        crate::cache::run_key(std::iter::empty(), &(&project.packages, &project.targets))
    });
    let project = Arc::new(project);
    // The largest group alone first (its own work is parallel), so that its index is never
    // alive beside another group's; the rest side by side.
    groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
    let rest = groups.split_off(groups.len().min(1));
    let mut out: Vec<Resolved> = groups
        .into_iter()
        .flat_map(|members| resolve_group(members, paths, &project, digest, settings, cache))
        .collect();
    if !rest.is_empty() {
        // The largest group's tables are gone: give their pages back before the others
        // allocate theirs (their peaks would otherwise stack on its freed pages).
        rayon::broadcast(|_| crate::allocator::release_freed_memory());
    }
    out.extend(
        // One group per job: split in halves, a worker that finished its half idled while the
        // other ran the rest of its own one group after another (on the 38 crates the last
        // 80 ms of this phase ran on one worker).
        rest.into_par_iter()
            .with_max_len(1)
            .map(|members| resolve_group(members, paths, &project, digest, settings, cache))
            .collect::<Vec<_>>()
            .into_iter()
            .flatten(),
    );
    out
}

/// The findings of one group's reported files.
fn resolve_group(
    members: Vec<Member>,
    paths: &[Arc<PathBuf>],
    project: &Arc<Project>,
    digest: Option<[u64; 2]>,
    settings: &Settings,
    cache: Option<&crate::cache::Cache>,
) -> Vec<Resolved> {
    let key = cache.and_then(|_| {
        let policies: Vec<_> = members.iter().map(|m| m.policy).collect();
        crate::cache::run_key(
            members.iter().map(|m| {
                (
                    paths[m.position].as_path(),
                    m.stamp.as_ref().and_then(|s| s.hash),
                )
            }),
            &(digest, policies),
        )
    });
    if let Some(known) = key.and_then(|k| cache?.resolved(k)) {
        let slot: HashMap<&Path, usize> = members
            .iter()
            .map(|m| (paths[m.position].as_path(), m.position))
            .collect();
        return known
            .into_iter()
            .filter_map(|f| {
                let i = *slot.get(Path::new(&f.path))?;
                let diags = f
                    .diagnostics
                    .into_iter()
                    .map(|mut d| {
                        d.path = Arc::clone(&paths[i]);
                        d
                    })
                    .collect();
                Some((i, diags, f.used))
            })
            .collect();
    }
    let mut index = CrateIndex::with_project(Vec::new(), Arc::clone(project));
    let mut own: Vec<(usize, Vec<Diagnostic>, Option<_>)> = Vec::new();
    let mut encoded = Vec::with_capacity(members.len());
    for m in members {
        encoded.push((m.position, m.stamp, m.facts));
        index.suppressions.push(m.suppressions);
        own.push((m.position, m.diagnostics, m.policy));
    }
    // Decoded on the workers: one thread decoding a large group left the other idle.
    index.files = encoded
        .into_par_iter()
        .map(|(position, stamp, facts)| IndexedFile {
            path: Arc::clone(&paths[position]),
            facts: match stamp {
                Some(s) => s.facts_or(facts),
                None => facts,
            },
        })
        .collect();
    // The rules resolve independently, in parallel, gathered back in rule order. The semantic
    // model and call graph they share are built first: a hook that waited for another to build
    // them blocked its worker, which then stole no other work (on the 38 crates the largest
    // group took 120-145 ms that way, 98-122 ms this way).
    let hooks: Vec<_> = crate::rules::enabled(settings)
        .iter()
        .filter_map(|rule| rule.hooks.resolve)
        .collect();
    if !hooks.is_empty() {
        index.call_graph();
    }
    let mut resolved: Vec<Diagnostic> = hooks
        .into_par_iter()
        .map(|hook| {
            let mut out = Vec::new();
            hook(&index, &mut out);
            out
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();
    crate::analysis::pending::settle(&index, &mut resolved);
    let slot: HashMap<&Path, usize> = index
        .files
        .iter()
        .enumerate()
        .map(|(k, f)| (f.path.as_path(), k))
        .collect();
    for d in resolved {
        if let Some(&k) = slot.get(d.path.as_path()) {
            own[k].1.push(d);
        }
    }
    drop(slot);
    let mut used: Vec<Vec<(usize, usize)>> = vec![Vec::new(); own.len()];
    let mut startup = None;
    for (k, (_, diags, policy)) in own.iter_mut().enumerate() {
        if let Some(policy) = policy {
            crate::analysis::test_policy::apply(&index, *policy, k, diags);
            if crate::analysis::startup::governs_any(diags) {
                startup
                    .get_or_insert_with(|| crate::analysis::startup::StartupCode::compute(&index))
                    .apply(&index, k, diags);
            }
        }
    }
    for (f, di, ri) in index
        .used_suppressions
        .lock()
        .map(|u| u.clone())
        .unwrap_or_default()
    {
        if let Some(u) = used.get_mut(f) {
            u.push((di, ri));
        }
    }
    drop(index);
    let out: Vec<Resolved> = own
        .into_iter()
        .zip(used)
        .filter(|((_, _, policy), _)| policy.is_some())
        .map(|((i, diags, _), used)| (i, diags, used))
        .collect();
    if let (Some(k), Some(cache)) = (key, cache) {
        let files: Vec<crate::cache::GroupFile> = out
            .iter()
            .filter(|(_, d, u)| !d.is_empty() || !u.is_empty())
            .map(|(i, d, u)| crate::cache::GroupFile {
                path: paths[*i].to_string_lossy().into_owned(),
                diagnostics: d.clone(),
                used: u.clone(),
            })
            .collect();
        cache.set_resolved(k, &files);
    }
    out
}
