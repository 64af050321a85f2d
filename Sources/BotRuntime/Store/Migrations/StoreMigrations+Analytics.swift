import GRDB

extension StoreMigrations {
    /// v7: hourly rollups of usage, handoffs and unanswered questions, which
    /// analytics read instead of the raw rows; filled from the rows already
    /// stored. Runtime state: no `state_version` triggers.
    static func registerAnalytics(_ migrator: inout DatabaseMigrator) {
        let usageColumns = """
            hour INTEGER NOT NULL,
            bot TEXT NOT NULL,
            messages INTEGER NOT NULL,
            conversations INTEGER NOT NULL,
            answered INTEGER NOT NULL,
            low_confidence INTEGER NOT NULL,
            rate_limited INTEGER NOT NULL,
            handed_off INTEGER NOT NULL,
            errors INTEGER NOT NULL,
            confidence_sum REAL NOT NULL,
            confidence_count INTEGER NOT NULL,
            -- Ten counts, four bytes each (little-endian): [0, 0.1), ..., [0.9, 1].
            confidence_buckets BLOB NOT NULL,
            knowledge_hits INTEGER NOT NULL,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            -- LogHistogram bytes, milliseconds.
            latency BLOB NOT NULL,
            -- ClientSketch bytes.
            clients BLOB NOT NULL,
            PRIMARY KEY (hour, bot)
            """
        migrator.registerMigration("v7-analytics-rollups") { db in
            try db.execute(sql: """
                CREATE TABLE usage_rollup (\(usageColumns)) WITHOUT ROWID;
                CREATE INDEX usage_rollup_bot ON usage_rollup(bot, hour);
                -- The same per UTC day (hour: the day's first hour), which
                -- reports read for the whole days of their range.
                CREATE TABLE usage_rollup_day (\(usageColumns)) WITHOUT ROWID;
                CREATE INDEX usage_rollup_day_bot ON usage_rollup_day(bot, hour);

                CREATE TABLE handoff_rollup (
                    hour INTEGER NOT NULL,
                    bot TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    urgency TEXT NOT NULL,
                    created INTEGER NOT NULL,
                    reopened INTEGER NOT NULL,
                    assigned INTEGER NOT NULL,
                    assignment BLOB NOT NULL,
                    resolved INTEGER NOT NULL,
                    resolution BLOB NOT NULL,
                    sla_met INTEGER NOT NULL,
                    sla_missed INTEGER NOT NULL,
                    PRIMARY KEY (hour, bot, reason, urgency)
                ) WITHOUT ROWID;
                CREATE INDEX handoff_rollup_bot ON handoff_rollup(bot, hour);

                -- Per UTC day (hour: the day's first hour), at most ten
                -- groups per bot and day (see RuntimeStore.countQuestion).
                CREATE TABLE question_rollup (
                    hour INTEGER NOT NULL,
                    bot TEXT NOT NULL,
                    grouping TEXT NOT NULL,
                    example TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    last_at REAL NOT NULL,
                    PRIMARY KEY (hour, bot, grouping)
                ) WITHOUT ROWID;
                CREATE INDEX question_rollup_bot ON question_rollup(bot, hour);
                """)
            try RuntimeStore.backfillRollups(db)
        }
    }
}
