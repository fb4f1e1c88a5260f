import Logging
import Synchronization

/// How much the board and link layers log, on standard error: warnings by default (a resent
/// request, a malformed frame), everything with `-v`, errors only with `-q`.
///
/// Loggers take the level when they are made, which is after the options are parsed: the
/// level is held here rather than fixed when logging is set up, before parsing.
enum LogVerbosity {
    private static let current = Mutex<Logger.Level>(.warning)

    static var level: Logger.Level {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    /// Sends every logger to standard error at the level in force when it is made; once, first
    /// thing in the process, so that no log line lands among results on standard output.
    static func bootstrap() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
