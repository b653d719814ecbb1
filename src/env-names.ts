/** The environment variable that marks every process of one pipeline's tree (how stop finds escaped children). */
export const INSTANCE_ENV = 'PIPELINE_CRON_INSTANCE'

/** Variables the daemon sets for every step; a step's `env` may not set any `PIPELINE_CRON_*` name. */
export const RESERVED_ENV_PREFIX = 'PIPELINE_CRON_'
