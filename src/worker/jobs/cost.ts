/**
 * Estimated cost of a job's model use, from the price table in MODEL_PRICES (JSON: model name →
 * USD per million input and output tokens). A model without a price has no estimate.
 */

export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** The price of `model` from MODEL_PRICES, or null when it is not listed or the table is invalid. */
export function priceOf(pricesJson: string | undefined, model: string): ModelPrice | null {
  try {
    const table = JSON.parse(pricesJson || "{}") as Record<string, Partial<ModelPrice>>;
    const price = table[model];
    if (typeof price?.inputPerMillion !== "number" || typeof price.outputPerMillion !== "number") return null;
    return { inputPerMillion: price.inputPerMillion, outputPerMillion: price.outputPerMillion };
  } catch (error) {
    console.error("MODEL_PRICES is not JSON; no cost estimate:", String(error));
    return null;
  }
}

/** USD for the tokens at `price`, rounded to a hundredth of a cent. */
export function costUsd(price: ModelPrice, promptTokens: number, completionTokens: number): number {
  const usd = (promptTokens * price.inputPerMillion + completionTokens * price.outputPerMillion) / 1_000_000;
  return Math.round(usd * 10_000) / 10_000;
}
