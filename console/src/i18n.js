// The console's own texts in both languages; the API's messages come translated already
// (every request sends Accept-Language = the language chosen here).
export const LANGUAGES = ["zh-CN", "en"];

const TEXTS = {
  "zh-CN": {
    title: "监督平台",
    switchTo: "English",
    signIn: "登录",
    signInTitle: "监督人员登录",
    phone: "手机号",
    password: "密码",
    signOut: "退出",
    notSupervisor: "此账号不是监督人员账号。",
    tabFeed: "实时事件",
    tabCharts: "指标趋势",
    tabRankings: "部门排名",
    tabReports: "群众举报",
    type: "类型",
    department: "部门",
    state: "状态",
    region: "区域",
    all: "全部",
    live: "实时连接中",
    reconnecting: "正在重连…",
    offline: "未连接",
    loadMore: "加载更多",
    empty: "暂无事件",
    ack: "签收",
    addNote: "添加备注",
    note: "备注",
    close: "办结",
    finding: "核查结论",
    notes: "备注",
    wholeRegion: "整个区域",
    interval: "周期",
    daily: "按日",
    weekly: "按周",
    refresh: "刷新",
    ratesChart: "比率（%）",
    hoursChart: "投诉平均处理时长（工作小时）",
    sortBy: "排序",
    rank: "名次",
    name: "名称",
    rankingsTitle: "综合排名",
    departmentsTitle: "部门指标（近30天）",
    reportQueue: "举报待办",
    loading: "加载中…",
    states: { open: "待签收", acknowledged: "已签收", closed: "已办结" },
    severities: { low: "低", medium: "中", high: "高" },
    types: {
      application_overdue: "办件超期",
      sla_warning: "临期预警",
      extra_visit: "多跑一次",
      bad_rating: "差评",
      complaint_overdue: "投诉超期",
      repeat_complaint: "重复投诉",
      complaint_reopened: "投诉重启",
      public_report: "群众举报",
    },
    kpis: {
      applications_received: "受理件数",
      on_time_rate: "按时办结率",
      one_visit_rate: "最多跑一次率",
      online_rate: "零跑动率",
      satisfaction_rate: "满意率",
      complaint_on_time_rate: "投诉按时办结率",
      avg_complaint_hours: "投诉平均处理时长",
      repeat_rate: "重复投诉率",
      mediation_success_rate: "调解成功率",
    },
  },
  en: {
    title: "Supervision console",
    switchTo: "中文",
    signIn: "Sign in",
    signInTitle: "Supervisor sign-in",
    phone: "Phone",
    password: "Password",
    signOut: "Sign out",
    notSupervisor: "This account is not a supervisor's.",
    tabFeed: "Live feed",
    tabCharts: "KPI trends",
    tabRankings: "Rankings",
    tabReports: "Public reports",
    type: "Type",
    department: "Department",
    state: "State",
    region: "Region",
    all: "All",
    live: "Live",
    reconnecting: "Reconnecting…",
    offline: "Not connected",
    loadMore: "Load more",
    empty: "No events",
    ack: "Acknowledge",
    addNote: "Add note",
    note: "Note",
    close: "Close",
    finding: "Finding",
    notes: "Notes",
    wholeRegion: "Whole region",
    interval: "Interval",
    daily: "Daily",
    weekly: "Weekly",
    refresh: "Refresh",
    ratesChart: "Rates (%)",
    hoursChart: "Average complaint handling time (working hours)",
    sortBy: "Sort by",
    rank: "Rank",
    name: "Name",
    rankingsTitle: "Overall ranking",
    departmentsTitle: "Departments (last 30 days)",
    reportQueue: "Report queue",
    loading: "Loading…",
    states: { open: "Open", acknowledged: "Acknowledged", closed: "Closed" },
    severities: { low: "Low", medium: "Medium", high: "High" },
    types: {
      application_overdue: "Application overdue",
      sla_warning: "SLA warning",
      extra_visit: "Extra visit",
      bad_rating: "Bad rating",
      complaint_overdue: "Complaint overdue",
      repeat_complaint: "Repeat complaint",
      complaint_reopened: "Complaint reopened",
      public_report: "Public report",
    },
    kpis: {
      applications_received: "Applications received",
      on_time_rate: "On-time rate",
      one_visit_rate: "One-visit rate",
      online_rate: "Zero-visit rate",
      satisfaction_rate: "Satisfaction rate",
      complaint_on_time_rate: "Complaints on time",
      avg_complaint_hours: "Complaint handling time",
      repeat_rate: "Repeat rate",
      mediation_success_rate: "Mediation success",
    },
  },
};

let current = localStorage.getItem("onevisit.console.lang");
if (!LANGUAGES.includes(current)) current = "zh-CN";

export function lang() {
  return current;
}

export function setLang(value) {
  current = value;
  localStorage.setItem("onevisit.console.lang", value);
  document.documentElement.lang = value;
}

export function t(key) {
  return TEXTS[current][key] ?? key;
}

export function label(group, key) {
  return TEXTS[current][group]?.[key] ?? key;
}
