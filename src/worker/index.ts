export default { fetch: () => new Response("ok") };
export class JobRoom {}
export class CodeJob {}
