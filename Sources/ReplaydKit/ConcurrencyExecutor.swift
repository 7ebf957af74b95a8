import NIOCore
import NIOPosix

/// Where Swift Concurrency's jobs run. The HTTP-only services (`replayd collector`, and
/// `replayd-bench ceiling`, which must measure the same HTTP stack) run them on NIO's event-loop
/// threads: a request then never hops between NIO's threads and the global pool. Processes that do
/// blocking spool work in tasks (`all`, `processor`) keep the default pool, so no event loop is ever
/// blocked by a disk write or a compressor. `REPLAYD_NIO_EXECUTOR=0` turns it off.
public enum ConcurrencyExecutor {
    /// Installs NIO's singleton event-loop group as the global executor when the subcommand is one
    /// of `commands`. Call first thing in `main`, before any task is created.
    public static func installIfSuitable(arguments: [String], commands: Set<String>, enabled: Bool) {
        guard enabled,
              let command = arguments.dropFirst().first, commands.contains(command),
              !arguments.contains("--playback")
        else { return }
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
