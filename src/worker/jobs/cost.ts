/**
 * Estimated cost of a job's model use, from the price table in MODEL_PRICES (JSON: model name →
 * USD per million input and output tokens, parsed in config.ts). A model without a price has no
 * estimate.
 */

export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** USD for the tokens at `price`, rounded to a hundredth of a cent. */
export function costUsd(price: ModelPrice, promptTokens: number, completionTokens: number): number {
  const usd = (promptTokens * price.inputPerMillion + completionTokens * price.outputPerMillion) / 1_000_000;
  return Math.round(usd * 10_000) / 10_000;
}
