//! Proof that fixes are runtime-correct: the fixed outputs of fixtures marked
//! `//! fixed: compiles` (kept in `<name>.fixed.rs` by `tests/fixtures.rs`) are compiled here
//! against the real runtimes, and the behaviour each fix promises is asserted on a
//! current-thread runtime, next to the original pitfall.

#![allow(
    dead_code,
    unused_imports,
    unused_variables,
    unused_mut,
    unused_must_use,
    dropping_copy_types,
    unused_doc_comments,
    unexpected_cfgs,
    let_underscore_lock,
    clippy::all
)]

use std::time::{Duration, Instant};

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-sleep/overlap.fixed.rs"]
mod blocking_sleep_overlap_fixed;
#[path = "../fixtures/blocking-sleep/overlap.rs"]
mod blocking_sleep_overlap_original;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/lock-across-await/guard-copies.fixed.rs"]
mod lock_across_await_guard_copies_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/lock-across-await/taken-out.fixed.rs"]
mod lock_across_await_taken_out_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/lock-across-await/two-tasks.fixed.rs"]
mod lock_across_await_two_tasks_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/collected-handles.fixed.rs"]
mod swallowed_cancellation_collected_handles_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/combinator-discards.fixed.rs"]
mod swallowed_cancellation_combinator_discards_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/container-receivers.fixed.rs"]
mod unawaited_future_container_receivers_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/deref-newtypes.fixed.rs"]
mod unawaited_future_deref_newtypes_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/observed.fixed.rs"]
mod swallowed_cancellation_observed_fixed;
#[path = "../fixtures/swallowed-cancellation/observed.rs"]
mod swallowed_cancellation_observed_original;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/read-config.fixed.rs"]
mod blocking_fs_read_config_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/channel.fixed.rs"]
mod unawaited_future_channel_fixed;
#[path = "../fixtures/unawaited-future/channel.rs"]
mod unawaited_future_channel_original;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/record.fixed.rs"]
mod unawaited_future_record_fixed;
#[path = "../fixtures/unawaited-future/record.rs"]
mod unawaited_future_record_original;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/block-on-in-async/local-runtime.fixed.rs"]
mod block_on_in_async_local_runtime_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-call/socket-uses.fixed.rs"]
mod blocking_call_socket_uses_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/file-uses.fixed.rs"]
mod blocking_fs_file_uses_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/loop-values.fixed.rs"]
mod swallowed_cancellation_loop_values_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-sleep/basic.fixed.rs"]
mod blocking_sleep_basic_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/signal-origins.fixed.rs"]
mod swallowed_cancellation_signal_origins_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/basic.fixed.rs"]
mod unawaited_future_basic_fixed;

// Fixtures whose fixed output only has to compile.
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/block-on-in-async/basic.fixed.rs"]
mod block_on_in_async_basic_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/block-on-in-async/reexported-runtimes.fixed.rs"]
mod block_on_in_async_reexported_runtimes_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/value-calls.fixed.rs"]
mod unawaited_future_value_calls_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/slice-elements.fixed.rs"]
mod unawaited_future_slice_elements_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/field-chain-outputs.fixed.rs"]
mod unawaited_future_field_chain_outputs_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-call/std-net.fixed.rs"]
mod blocking_call_std_net_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/basic.fixed.rs"]
mod blocking_fs_basic_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/path-metadata.fixed.rs"]
mod blocking_fs_path_metadata_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/startup.fixed.rs"]
mod blocking_fs_startup_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/runtime-root.fixed.rs"]
mod blocking_fs_runtime_root_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/test-support.fixed.rs"]
mod blocking_fs_test_support_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-sleep/imports.fixed.rs"]
mod blocking_sleep_imports_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/_engine/data-tables.fixed.rs"]
mod engine_data_tables_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/_engine/nested-modules.fixed.rs"]
mod engine_nested_modules_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/_engine/suppress-file.fixed.rs"]
mod engine_suppress_file_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/_engine/suppressions.fixed.rs"]
mod engine_suppressions_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/lock-across-await/format-captures.fixed.rs"]
mod lock_across_await_format_captures_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/lock-across-await/refcell.fixed.rs"]
mod lock_across_await_refcell_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/lock-across-await/temporaries.fixed.rs"]
mod lock_across_await_temporaries_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/declared-handles.fixed.rs"]
mod swallowed_cancellation_declared_handles_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/field-handles.fixed.rs"]
mod swallowed_cancellation_field_handles_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/variant-handles.fixed.rs"]
mod swallowed_cancellation_variant_handles_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/join-sets.fixed.rs"]
mod swallowed_cancellation_join_sets_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/routed-results.fixed.rs"]
mod swallowed_cancellation_routed_results_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/shutdown-forwarding.fixed.rs"]
mod swallowed_cancellation_shutdown_forwarding_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/clippy-let-underscore.fixed.rs"]
mod unawaited_future_clippy_let_underscore_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/fn-values.fixed.rs"]
mod unawaited_future_fn_values_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unused-suppression/basic.fixed.rs"]
mod unused_suppression_basic_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unused-suppression/scoped.fixed.rs"]
mod unused_suppression_scoped_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/block-on-in-async/once-cells.fixed.rs"]
mod block_on_in_async_once_cells_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/generic-handles.fixed.rs"]
mod swallowed_cancellation_generic_handles_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/trait-futures.fixed.rs"]
mod unawaited_future_trait_futures_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/unused-imports-kept.fixed.rs"]
mod blocking_fs_unused_imports_kept_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/fs-err.fixed.rs"]
mod blocking_fs_fs_err_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/log-macros.fixed.rs"]
mod blocking_fs_log_macros_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/lock-across-await/declared-types.fixed.rs"]
mod lock_across_await_declared_types_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/lock-across-await/helpers.fixed.rs"]
mod lock_across_await_helpers_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/join-handles.fixed.rs"]
mod swallowed_cancellation_join_handles_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/select-loops.fixed.rs"]
mod swallowed_cancellation_select_loops_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/select-value-in-arm.fixed.rs"]
mod swallowed_cancellation_select_value_in_arm_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/async-trait.fixed.rs"]
mod unawaited_future_async_trait_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/look-alikes.fixed.rs"]
mod unawaited_future_look_alikes_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/runtimes.fixed.rs"]
mod blocking_fs_runtimes_fixed;

#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-sleep/runtimes.fixed.rs"]
mod blocking_sleep_runtimes_fixed;

// The imports the fixes made unused are gone, and no other became unused.
#[deny(unused_imports)]
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/unused-imports.fixed.rs"]
mod blocking_fs_unused_imports_fixed;
#[deny(unused_imports)]
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-sleep/unused-imports.fixed.rs"]
mod blocking_sleep_unused_imports_fixed;
#[deny(unused_imports)]
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/unused-io-traits.fixed.rs"]
mod blocking_fs_unused_io_traits_fixed;

// Fixes that would hold a std guard across a new `.await` are manual: the fixed output still
// spawns every fn (its futures are `Send`).
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-sleep/held-guards.fixed.rs"]
mod blocking_sleep_held_guards_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/held-guards.fixed.rs"]
mod blocking_fs_held_guards_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/held-guards.fixed.rs"]
mod unawaited_future_held_guards_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/swallowed-cancellation/nested-loops.fixed.rs"]
mod swallowed_cancellation_nested_loops_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/lock-across-await/temporaries-in-branches.fixed.rs"]
mod lock_across_await_temporaries_in_branches_fixed;

// Fixtures made to compile for issue #16: every fixture with an applicable fix is compiled.
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/block-on-in-async/runtime-threads.fixed.rs"]
mod block_on_in_async_runtime_threads_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-call/look-alikes.fixed.rs"]
mod blocking_call_look_alikes_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-call/receivers-look-alikes.fixed.rs"]
mod blocking_call_receivers_look_alikes_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/offloaded-closures.fixed.rs"]
mod blocking_fs_offloaded_closures_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/point-free.fixed.rs"]
mod blocking_fs_point_free_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-fs/unused-imports-child-file.fixed.rs"]
mod blocking_fs_unused_imports_child_file_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/cancel-unsafe-select/loops.fixed.rs"]
mod cancel_unsafe_select_loops_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/cancel-unsafe-select/safe.fixed.rs"]
mod cancel_unsafe_select_safe_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/detached-task-error/handled.fixed.rs"]
mod detached_task_error_handled_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/lock-across-await/let-else.fixed.rs"]
mod lock_across_await_let_else_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/lock-across-await/released.fixed.rs"]
mod lock_across_await_released_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/lock-across-await/named.fixed.rs"]
mod lock_across_await_named_fixed;
// `blocking-sleep/test-code.rs` marks a test `#[sqlx::test]` (any attribute ending in `test` is a
// test for the linter); sqlx's `test` needs its query macros, too heavy a build for an attribute:
// tokio's stands in here (the fixed outputs that need the real sqlx are compiled by
// `tests/fixed_compile_sqlx.rs`).
extern crate tokio as sqlx;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-sleep/test-code.fixed.rs"]
mod blocking_sleep_test_code_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-call/basic.fixed.rs"]
mod blocking_call_basic_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/receiver-types.fixed.rs"]
mod unawaited_future_receiver_types_fixed;
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/unawaited-future/variant-receivers.fixed.rs"]
mod unawaited_future_variant_receivers_fixed;
// `blocking-sleep/macros.rs` calls a macro it does not define (the linter must not look into a
// macro it does not know): defined here, before the module, it swallows its input.
macro_rules! my_macro {
    ($($t:tt)*) => {};
}
#[rustfmt::skip] // the fixed output is compared byte for byte
#[path = "../fixtures/blocking-sleep/macros.fixed.rs"]
mod blocking_sleep_macros_fixed;

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn blocking_sleep_fix_lets_tasks_overlap() {
    let rt = current_thread();
    let start = Instant::now();
    let (a, b) = rt.block_on(async {
        tokio::join!(
            blocking_sleep_overlap_original::poll(3, 50),
            blocking_sleep_overlap_original::poll(3, 50)
        )
    });
    let serial = start.elapsed();
    assert_eq!(a + b, 6);
    assert!(
        serial >= Duration::from_millis(300),
        "the pitfall serialises: {serial:?}"
    );

    let start = Instant::now();
    let (a, b) = rt.block_on(async {
        tokio::join!(
            blocking_sleep_overlap_fixed::poll(3, 50),
            blocking_sleep_overlap_fixed::poll(3, 50)
        )
    });
    let overlapped = start.elapsed();
    assert_eq!(a + b, 6);
    // 150 ms when the waits overlap, 300 ms or more when they do not (margin for a loaded machine).
    assert!(
        overlapped < Duration::from_millis(260),
        "fixed, the waits overlap: {overlapped:?}"
    );
}

#[test]
fn lock_across_await_fix_lets_two_tasks_share_a_std_mutex() {
    use lock_across_await_two_tasks_fixed as fixed;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    let rt = current_thread();
    let counter = Arc::new(Mutex::new(0));
    let log = Arc::new(Mutex::new(Vec::new()));
    let cache = Arc::new(Mutex::new(HashMap::new()));
    rt.block_on(async {
        // `tokio::spawn` needs `Send` futures: the original versions do not compile here, and
        // joined on one thread they deadlock in the second `lock()`.
        let tasks = vec![
            tokio::spawn(fixed::record(Arc::clone(&counter), Arc::clone(&log), 20)),
            tokio::spawn(fixed::record(Arc::clone(&counter), Arc::clone(&log), 20)),
            tokio::spawn(fixed::refresh(Arc::clone(&cache), 1, 20)),
            tokio::spawn(fixed::refresh(Arc::clone(&cache), 2, 20)),
        ];
        let all = async {
            for t in tasks {
                t.await.expect("task");
            }
        };
        tokio::time::timeout(Duration::from_secs(5), all)
            .await
            .expect("fixed, the tasks do not deadlock");
    });
    assert_eq!(*counter.lock().unwrap(), 2);
    assert_eq!(*log.lock().unwrap(), vec![1, 2]);
    assert_eq!(cache.lock().unwrap().len(), 2);
}

#[test]
fn swallowed_cancellation_fix_propagates_the_task_panic() {
    let rt = current_thread();
    // The pitfall: the task's panic is thrown away and the caller carries on.
    assert!(rt.block_on(swallowed_cancellation_observed_original::run_task()));
    // Fixed: the panic is resumed in the caller, so whoever awaits the caller sees it.
    let outer = rt
        .block_on(async { tokio::spawn(swallowed_cancellation_observed_fixed::run_task()).await });
    let err = outer.expect_err("the caller must not report success");
    assert!(err.is_panic(), "the task's panic reaches the caller");
    let payload = err.into_panic();
    assert_eq!(
        payload.downcast_ref::<&str>().copied(),
        Some("the task failed")
    );
}

#[test]
fn unawaited_future_fix_runs_the_future() {
    use std::sync::{Arc, Mutex};
    let rt = current_thread();
    let log = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(unawaited_future_record_original::handler(log.clone()));
    assert!(
        log.lock().unwrap().is_empty(),
        "the pitfall: the dropped future never ran"
    );
    rt.block_on(unawaited_future_record_fixed::handler(log.clone()));
    assert_eq!(*log.lock().unwrap(), vec![1], "fixed: the record happened");
}

#[test]
fn unawaited_future_fix_sends_on_the_tokio_channel() {
    let rt = current_thread();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    rt.block_on(unawaited_future_channel_original::produce(tx.clone(), 7));
    assert!(rx.try_recv().is_err(), "the pitfall: nothing was sent");
    rt.block_on(unawaited_future_channel_fixed::produce(tx, 7));
    assert_eq!(rx.try_recv().ok(), Some(7), "fixed: the value arrived");
}

#[test]
fn blocking_fs_fix_reads_through_the_runtime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.txt");
    std::fs::write(&path, "first\nsecond\n").expect("write");
    let rt = current_thread();
    let line = rt
        .block_on(blocking_fs_read_config_fixed::first_line(path))
        .expect("read");
    assert_eq!(line, "first");
}

#[test]
fn blocking_fs_fix_keeps_the_file_uses_working() {
    use blocking_fs_file_uses_fixed as fixed;
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let rt = current_thread();
    rt.block_on(async {
        fixed::write_all(&a, b"hello").await.expect("write");
        assert_eq!(fixed::read_all(&a).await.expect("read"), "hello");
        assert_eq!(fixed::chain(&a, &b).await.expect("chain"), 5);
        fixed::copy(&a, &b).await.expect("copy");
        assert_eq!(fixed::mapped(&a).await.expect("mapped"), b"hello");
        assert_eq!(std::fs::read(&b).expect("copied"), b"hello");
    });
}

#[test]
fn blocking_call_fix_talks_on_tokio_sockets() {
    use blocking_call_socket_uses_fixed as fixed;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = current_thread();
    rt.block_on(async {
        // A server on the same single-threaded runtime: the fixed client must yield to it.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.expect("accept");
            let mut buf = [0u8; 4];
            sock.read_exact(&mut buf).await.expect("read");
            assert_eq!(&buf, b"ping");
            sock.write_all(b"pong").await.expect("write");
        });
        let reply = fixed::ping(&addr).await.expect("ping");
        assert_eq!(reply, b"pong");
        server.await.expect("server task");
    });
}

#[test]
fn block_on_fix_awaits_without_a_nested_runtime() {
    use block_on_in_async_local_runtime_fixed as fixed;
    let rt = current_thread();
    rt.block_on(async {
        assert_eq!(fixed::chained().await, 1);
        assert_eq!(fixed::bound_once().await, 1);
        assert_eq!(fixed::inner_block().await.expect("no runtime error"), 2);
    });
}

/// Every `.fixed.rs` under fixtures/ is compiled by this file or `fixed_compile_sqlx.rs`.
#[test]
fn every_fixed_output_is_compiled_here() {
    let me = [
        include_str!("fixed_compile.rs"),
        include_str!("fixed_compile_sqlx.rs"),
    ]
    .concat();
    for e in walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
        .into_iter()
        .flatten()
    {
        let p = e.path().to_string_lossy().to_string();
        if let Some(rel) = p
            .split("/fixtures/")
            .nth(1)
            .filter(|r| r.ends_with(".fixed.rs"))
        {
            assert!(
                me.contains(&format!("\"../fixtures/{rel}\"")),
                "fixtures/{rel} is not compiled by tests/fixed_compile.rs"
            );
        }
    }
}

/// Re-linting the fixed outputs (every rule's fixes are applied to them, as `--fix
/// --unsafe-fixes` does): no fixable diagnostic of any rule remains.
#[test]
fn fixed_outputs_are_clean() {
    for e in walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
        .into_iter()
        .flatten()
    {
        let p = e.path();
        if !p.to_string_lossy().ends_with(".fixed.rs") {
            continue;
        }
        let opts = async_lint::run::Options {
            paths: vec![p.to_path_buf()],
            format: async_lint::render::Format::Short,
            color: async_lint::cli::ColorChoice::Never,
            select: vec!["ALL".into()],
            ignore: Vec::new(),
            exclude: Vec::new(),
            config: None,
            list_rules: false,
            explain: None,
            threads: Some(1),
            ..Default::default()
        };
        let report = async_lint::run::lint(&opts).expect("lint");
        let left: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| {
                d.fix
                    .as_ref()
                    .is_some_and(|f| f.applicability != async_lint::Applicability::Manual)
            })
            .map(|d| format!("{}: {}", d.rule.id, d.message))
            .collect();
        assert!(
            left.is_empty(),
            "{}: fixable diagnostics remain after fixing: {left:?}",
            p.display()
        );
    }
}
