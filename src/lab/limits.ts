// The lab's defaults and limits the command line states in its help (without loading the lab itself).

/** nftables rules on the synthetic path unless --rules says otherwise. */
export const DEFAULT_RULES = 2000;

/** The most client/server pairs one lab holds. */
export const MAX_PAIRS = 32;
