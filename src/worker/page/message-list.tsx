/** The agent's messages, in the order it said them (public/job.js appends live ones alike). */
import type { PageMessage } from "./page-view";

export function MessageList(props: { messages: PageMessage[] }) {
  return (
    <section id="messages" aria-labelledby="messages-heading">
      <h2 id="messages-heading">Agent messages</h2>
      {props.messages.length === 0 ? (
        <p class="empty" data-empty-for="messages">
          No messages yet.
        </p>
      ) : null}
      {props.messages.map((m) => (
        <p class="message" data-seq={String(m.seq)}>
          {m.text}
        </p>
      ))}
    </section>
  );
}
