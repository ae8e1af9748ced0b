/** What an adapter answers: the HTTP server writes it and adds the request id and date. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}
