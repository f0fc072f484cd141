/** Alert rules, their channels, test sends and delivery log. */
import { api } from '../../lib/api'
import type {
  ChannelConfig,
  ChannelView,
  DeliveryView,
  RuleConfig,
  RuleView,
  TestResult,
} from '../../lib/types'

export interface RuleBody {
  name: string
  project_id: string
  config: RuleConfig
  description?: string | null
  environment_filter?: string | null
  source_filter?: string | null
  enabled?: boolean
}

export const alerts = {
  list: (project?: string) => api<{ items: RuleView[] }>('/v1/alerts', { query: { project_id: project } }),
  get: (id: number) => api<RuleView>(`/v1/alerts/${id}`),
  create: (b: RuleBody) => api<RuleView>('/v1/alerts', { body: b }),
  update: (id: number, b: Partial<RuleBody>) => api<RuleView>(`/v1/alerts/${id}`, { method: 'PUT', body: b }),
  remove: (id: number) => api<{ deleted: number }>(`/v1/alerts/${id}`, { method: 'DELETE' }),
  addChannel: (id: number, config: ChannelConfig) =>
    api<ChannelView>(`/v1/alerts/${id}/channels`, { body: { config } }),
  removeChannel: (id: number, cid: number) =>
    api<{ deleted: number }>(`/v1/alerts/${id}/channels/${cid}`, { method: 'DELETE' }),
  test: (id: number) =>
    api<{ rule_id: number; results: TestResult[] }>(`/v1/alerts/${id}/test`, { method: 'POST' }),
  deliveries: (id: number, before?: number) =>
    api<{ items: DeliveryView[]; limit: number }>(`/v1/alerts/${id}/deliveries`, {
      query: { limit: 25, before },
    }),
}
