/** What an adapter answers: the HTTP server writes it and adds the request id and date. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  /** Text, or the bytes of a file (the console's pages). */
  body: string | Buffer;
}
