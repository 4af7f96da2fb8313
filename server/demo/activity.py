"""The demo's months of work: visits, care plans, complaints, tasks and churn warnings.

`seed_demo` makes the people and the bills; this adds what the managers did with
them, through the same services the API calls, so every rule (plan completion,
complaint deadlines, the warning scan) holds in the demo exactly as in use.

History is logged as if each record had reached the server when it happened (the
services' `now` is the moment of logging), so nothing carries the "late" flag a
phone syncing weeks afterwards would earn. Everything is drawn from
`random.Random(f"{seed}/activity")`, with customers and records taken in a fixed
order (never by their random UUIDs), so one seed and one `now` give the same work.
"""

# ruff: noqa: RUF001 - the Chinese texts take full-width punctuation.

import random
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from server.auth.models import Role, User
from server.complaints.models import Complaint, ComplaintStatus, IntakeChannel, Severity
from server.complaints.services import add_note, create_complaint, transition_complaint
from server.customers.models import Customer, CustomerKind, Stage, Tier
from server.extensions import db
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from server.plans.services import create_plan, generate_plans
from server.tasks.models import Task, TaskStatus
from server.tasks.services import create_task, update_task
from server.timeutil import start_of_local_day
from server.visits.models import CustomerResponse, Visit
from server.visits.services import create_visit
from server.warnings.models import ChurnWarning, Outcome, WarningStatus
from server.warnings.services import answer_warning, resolve_warning, scan_warnings

VISIT_SHARE = 0.25
HISTORY_DAYS = 90
# Next steps of visits older than this were done by now; newer ones are still open.
OPEN_TASK_DAYS = 1
# Higher tiers are seen more often: their odds of being in the visit history.
VISIT_WEIGHTS = {
    "diamond": 4.0,
    "emerald": 3.0,
    "platinum": 2.0,
    "sapphire": 1.5,
    "gold": 1.0,
    "crystal": 0.8,
}
# Roughly where each district is, for the phones' location fixes on visits.
DISTRICT_CENTRES = {
    "上城区": (30.242, 120.170),
    "钱塘区": (30.300, 120.420),
    "萧山区": (30.164, 120.265),
    "临平区": (30.420, 120.300),
    "西湖区": (30.260, 120.130),
    "拱墅区": (30.320, 120.150),
    "余杭区": (30.290, 120.010),
    "滨江区": (30.208, 120.212),
}
HANGZHOU = (30.274, 120.155)

P, R = Purpose, CustomerResponse


@dataclass(frozen=True)
class _Talk:
    """What a contact was about and how it went, as a manager would log it."""

    purpose: Purpose
    outcome: str
    notes: str
    products: tuple[str, ...] = ()
    response: CustomerResponse | None = None
    next_step: str | None = None


PERSON_TALKS = (
    _Talk(
        P.ROUTINE,
        "例行回访，客户对网络质量满意",
        "客户反映家中信号稳定，近期使用无问题；提醒月底关注流量余量。",
        (),
        R.POSITIVE,
    ),
    _Talk(
        P.MARKETING,
        "推荐5G升级，客户有兴趣",
        "客户仍用4G老套餐，流量常超出；介绍5G畅享套餐及合约优惠，客户表示考虑一下。",
        ("5G升级",),
        R.NEUTRAL,
        "电话确认客户是否办理5G升级",
    ),
    _Talk(
        P.MARKETING,
        "宽带提速已受理",
        "客户家中百兆宽带晚间卡顿，已受理提速至千兆，约好周末上门调试路由器。",
        ("宽带提速",),
        R.POSITIVE,
        "宽带提速后回访网速",
    ),
    _Talk(
        P.MARKETING,
        "介绍家庭融合套餐，客户需与家人商量",
        "客户家中三个号码分属不同套餐，测算办理家庭融合套餐后每月可省约60元。",
        ("家庭融合套餐", "家庭副卡"),
        R.NEUTRAL,
        "跟进家庭融合套餐办理意向",
    ),
    _Talk(
        P.ROUTINE,
        "了解用机情况，客户有换机需求",
        "客户手机已用四年，电池老化；介绍合约购机活动，客户想看看新款机型。",
        ("5G升级",),
        R.POSITIVE,
        "发送合约购机活动资料",
    ),
    _Talk(
        P.ROUTINE,
        "核对账单，解释上月费用",
        "客户认为上月话费偏高，逐项核对后为出差产生的漫游流量费用，已解释清楚。",
        (),
        R.NEUTRAL,
    ),
    _Talk(
        P.MARKETING,
        "推荐视频彩铃，客户婉拒",
        "客户表示不需要增值业务，尊重客户意见，不再推荐。",
        ("视频彩铃",),
        R.NEGATIVE,
    ),
    _Talk(
        P.ROUTINE,
        "出差较多，推荐国际漫游包",
        "客户下月去香港出差，介绍国际漫游包，客户已在手机营业厅办理。",
        ("国际漫游包",),
        R.POSITIVE,
    ),
    _Talk(
        P.ROUTINE,
        "IPTV使用指导",
        "客户家中老人不会用IPTV点播，远程指导操作后问题解决。",
        ("IPTV高清",),
        R.POSITIVE,
    ),
    _Talk(
        P.MARKETING,
        "推荐云盘会员，客户愿意试用",
        "客户手机相册空间不足，介绍云盘会员自动备份，客户开通一个月试用。",
        ("云盘会员",),
        R.POSITIVE,
        "试用到期前询问是否续订云盘会员",
    ),
    _Talk(
        P.ROUTINE,
        "客户近期流量不够用",
        "客户反映月底流量经常用完，推荐流量加油包和升档方案。",
        ("流量加油包", "5G升级"),
        R.NEUTRAL,
    ),
)
ORG_TALKS = (
    _Talk(
        P.ROUTINE,
        "拜访信息中心主任，了解专线使用情况",
        "企业专线运行稳定，客户计划下季度新增分支机构，需要组网方案。",
        ("企业专线",),
        R.POSITIVE,
        "准备分支机构组网方案并预约汇报",
    ),
    _Talk(
        P.MARKETING,
        "介绍云办公方案",
        "客户现用邮件加U盘传文件，介绍云办公和视频会议，行政经理愿意先试用。",
        ("云办公", "视频会议"),
        R.NEUTRAL,
        "开通云办公试用账号",
    ),
    _Talk(
        P.ROUTINE,
        "年度通信费用回顾",
        "与行政经理回顾全年通信费用，客户希望优化集团短信资费。",
        ("集团短信",),
        R.NEUTRAL,
        "核算集团短信资费优化方案",
    ),
    _Talk(
        P.MARKETING,
        "推荐5G升级集团成员套餐",
        "客户员工手机套餐各自办理，介绍集团成员5G升级优惠，客户请我们出方案。",
        ("5G升级",),
        R.POSITIVE,
        "提交集团成员5G升级方案",
    ),
    _Talk(
        P.ROUTINE,
        "客户反映会议室网络慢",
        "会议室视频会议经常卡顿，初步判断为内部布线问题。",
        ("宽带提速",),
        R.NEGATIVE,
        "安排装维人员上门检测网络",
    ),
    _Talk(
        P.ROUTINE,
        "例行拜访，客户运营正常",
        "与办公室主任交流近期业务情况，通信服务无问题。",
        (),
        R.POSITIVE,
    ),
)
# Logging a visit against a plan of this purpose: what the manager wrote.
PLAN_TALKS = {
    P.ROUTINE: _Talk(
        P.ROUTINE,
        "日常维系，客户近况良好",
        "电话问候客户，了解使用情况，无新需求。",
        (),
        R.POSITIVE,
    ),
    P.BIRTHDAY: _Talk(
        P.BIRTHDAY,
        "生日祝福已送达",
        "送上生日祝福，并告知生日当月可领取流量礼包，客户很开心。",
        ("流量加油包",),
        R.POSITIVE,
    ),
    P.HOLIDAY: _Talk(P.HOLIDAY, "节日问候", "致以节日问候，客户表示感谢。", (), R.POSITIVE),
    P.CONTRACT_EXPIRY: _Talk(
        P.CONTRACT_EXPIRY,
        "客户同意续约",
        "合约即将到期，介绍续约两年赠送宽带提速，客户同意续约。",
        ("宽带提速", "家庭融合套餐"),
        R.POSITIVE,
    ),
    P.WELCOME: _Talk(
        P.WELCOME, "入网欢迎短信已发送", "发送欢迎短信及专属客户经理联系方式。", (), None
    ),
    P.INTRODUCTION_CHECK: _Talk(
        P.INTRODUCTION_CHECK,
        "导入期回访，使用正常",
        "新入网一个月回访，客户对信号和套餐满意，已讲解手机营业厅用法。",
        (),
        R.POSITIVE,
    ),
}
# When (local hour) the contacts done today began.
TODAY_SLOTS = (8.75, 9.5, 10.5, 14.0, 15.5)
# Plans a manager made by hand a fortnight ago: one done since, one still waiting.
PAST_PLAN = ("推荐5G升级：老套餐客户", "客户仍用4G套餐，流量经常超出")

# Per category: (what the customer said, how it was fixed); organisations have their own.
COMPLAINT_TEXTS = {
    "network": (
        (
            "家中室内5G信号差，通话经常断线，卧室几乎没有信号。",
            "网络优化中心调整了附近基站参数，并上门加装室内信号放大器，实测信号恢复正常。",
        ),
        (
            "小区地下车库没有信号，停车缴费扫码都无法使用。",
            "已纳入地下室覆盖项目，临时开通Wi-Fi通话功能，信号问题缓解。",
        ),
    ),
    "broadband": (
        (
            "宽带经常掉线，晚上8点以后网速明显变慢，影响孩子上网课。",
            "装维人员更换了老化的光猫并重新熔接光纤，连续三天测速稳定。",
        ),
        (
            "宽带报修三天了仍没有人上门，打热线只说在排队。",
            "已协调装维班组当天上门，故障为分光器端口损坏，已更换。",
        ),
    ),
    "billing": (
        (
            "话费异常扣费，上月账单多出38元不明费用。",
            "核查为误订的增值业务费用，已退订并退还38元。",
        ),
        (
            "套餐外流量费用过高，对计费有异议，要求核对清单。",
            "调取流量详单逐条解释，并按政策减免一半超套费用，推荐合适的流量包。",
        ),
    ),
    "value_added": (
        (
            "未经同意被订购视频彩铃等增值业务，要求退订并退费。",
            "已退订全部增值业务并全额退费，开通增值业务订购二次确认。",
        ),
    ),
    "plan": (
        (
            "办理套餐时承诺的每月20元优惠没有到账。",
            "核实为优惠活动配置遗漏，已补录并补发前两个月优惠。",
        ),
    ),
    "service": (
        (
            "打10086热线多次转接都没有解决问题，等待时间太长。",
            "客户经理直接对接处理，并向客户致歉，提供专属服务电话。",
        ),
    ),
    "terminal": (
        (
            "合约机用了两个月屏幕出现竖线，售后互相推诿。",
            "协调厂家售后免费更换屏幕，并延长保修三个月。",
        ),
    ),
    "store": (
        (
            "营业厅办理业务排队一个多小时，只有一个窗口开放。",
            "已反馈营业厅增加高峰期窗口，并为客户开通线上办理绿色通道。",
        ),
    ),
}
ORG_COMPLAINT_TEXTS = (
    (
        "broadband",
        "企业专线本周中断两次，每次超过一小时，影响公司业务系统。",
        "更换了故障的汇聚交换机端口，并增加备用链路，专线恢复稳定。",
    ),
    (
        "network",
        "办公楼三层以上手机信号弱，客户来电经常接不通。",
        "在办公楼加装室内分布系统，信号覆盖达标。",
    ),
    (
        "billing",
        "集团账单中多出三部已注销号码的月费。",
        "核实为注销流程未完成，已补办注销并退还三个月月费。",
    ),
)
PROGRESS_NOTES = (
    "已派单至装维班组，预计明天上门。",
    "已联系客户说明处理进度，客户表示理解。",
    "已提交后台核查，等待计费中心回复。",
)
REOPEN_NOTE = "客户反映问题再次出现，重新处理。"

# (title, concerns a customer?) of the follow-ups a manager keeps open.
TASK_TEMPLATES = (
    ("整理本月合约到期客户名单，逐一预约续约", False),
    ("为客户准备家庭融合套餐资费对比表", True),
    ("寄送发票及合同复印件", True),
    ("准备季度客户走访总结", False),
    ("协助客户办理副卡并回访使用情况", True),
)
OVERDUE_TASK = "寄送发票及合同复印件"
COMPLAINT_TASK = "回访投诉处理结果，确认客户满意"

# A cause analysis and retention plan per warning reason (service code, or the total).
RETENTION = {
    "mobile": (
        "客户反映套餐资费偏高，部分通话已转到竞争对手的副卡上。",
        "推荐同档位5G升级套餐，合约期内每月优惠30元，并赠送视频会员。",
    ),
    "data": (
        "客户单位配发了工作手机，个人流量使用减少。",
        "调整为更合适的流量档位，避免客户觉得浪费而离网。",
    ),
    "broadband": (
        "客户家中宽带晚间卡顿，已开始使用竞争对手的宽带。",
        "上门检测线路，免费提速至千兆并赠送三个月宽带费，争取客户回流。",
    ),
    "iptv": ("客户觉得IPTV片源少，改看网络电视盒子。", "赠送半年影视会员包，演示回看和点播功能。"),
    "fixed_line": (
        "客户家中固话很少使用，考虑拆机。",
        "推荐固话与手机融合，月费并入家庭融合套餐。",
    ),
    "group_sms": (
        "客户减少了短信营销，改用公众号通知。",
        "推荐集团短信与5G消息组合方案，按量计费。",
    ),
    "cloud": (
        "客户部分业务迁移到其他云服务商。",
        "安排解决方案经理上门，提供云资源优化和价格对标方案。",
    ),
    None: (
        "客户近期调整了消费结构，家庭成员改用其他运营商，整体消费下降。",
        "推荐家庭融合套餐，把家庭成员号码纳入副卡，整体资费下降约15%。",
    ),
    "complaint_pressure": (
        "客户近期多次投诉未得到满意答复，对服务失去信心。",
        "由班组长陪同上门致歉，落实投诉整改，并赠送一个月流量包作为补偿。",
    ),
}
RETAINED_NOTE = "客户接受挽留方案，已办理优惠，消费恢复到原有水平。"
EXIT_REASONS = ("竞争对手低价套餐，客户已携号转网", "公司搬迁外地，通信业务随之迁出")


@dataclass(frozen=True)
class _Customer:
    """What the activity needs of one customer (a row, not an ORM object)."""

    id: uuid.UUID
    external_no: str
    kind: CustomerKind
    stage: Stage
    activation_date: date
    address: str | None
    tier: str
    response_hours: int

    @property
    def is_org(self) -> bool:
        return self.kind == CustomerKind.ORGANISATION


class _Demo:
    """The random stream, the clock and the portfolios shared by every step."""

    def __init__(self, seed: int, today: date, now: datetime):
        self.rng = random.Random(f"{seed}/activity")
        self.today = today
        self.now = now
        self.managers = list(
            db.session.scalars(
                sa.select(User).where(User.role == Role.MANAGER).order_by(User.username)
            )
        )
        rows = db.session.execute(
            sa.select(
                Customer.id,
                Customer.external_no,
                Customer.kind,
                Customer.stage,
                Customer.activation_date,
                Customer.address,
                Customer.manager_id,
                Tier.code,
                Tier.complaint_response_hours,
            )
            .join(Tier, Tier.id == Customer.tier_id)
            .where(Customer.manager_id.is_not(None))
            .order_by(Customer.external_no)
        )
        self.portfolios: dict[uuid.UUID | None, list[_Customer]] = defaultdict(list)
        for row in rows:
            self.portfolios[row.manager_id].append(
                _Customer(
                    id=row.id,
                    external_no=row.external_no,
                    kind=row.kind,
                    stage=row.stage,
                    activation_date=row.activation_date,
                    address=row.address,
                    tier=row.code,
                    response_hours=row.complaint_response_hours,
                )
            )
        # Where each customer was last seen: later fixes land near it, not across town.
        self.places: dict[uuid.UUID, tuple[float, float]] = {}

    def at(self, day: date, hour: float) -> datetime:
        """`hour` o'clock (local) on `day`."""
        return start_of_local_day(day) + timedelta(hours=hour)

    def logged(self, moment: datetime, minutes: tuple[int, int] = (5, 120)) -> datetime:
        """When what happened at `moment` reached the server: soon after, never after now."""
        return min(moment + timedelta(minutes=self.rng.randint(*minutes)), self.now)

    def active(self, manager: User) -> list[_Customer]:
        return [c for c in self.portfolios[manager.id] if c.stage != Stage.CHURNED]

    def fix(self, customer: _Customer) -> dict:
        """A phone's location fix at the customer's place, sharp and fresh."""
        rng = self.rng
        if customer.id in self.places:
            lat, lng = self.places[customer.id]
            lat += rng.uniform(-0.0005, 0.0005)
            lng += rng.uniform(-0.0005, 0.0005)
        else:
            district = (customer.address or "")[3:6]
            lat, lng = DISTRICT_CENTRES.get(district, HANGZHOU)
            lat += rng.uniform(-0.03, 0.03)
            lng += rng.uniform(-0.03, 0.03)
            self.places[customer.id] = (lat, lng)
        return {
            "latitude": round(lat, 6),
            "longitude": round(lng, 6),
            "accuracy_m": float(rng.randint(8, 60)),
            "location_age_s": float(rng.randint(3, 90)),
        }


def seed_activity(seed: int, today: date, now: datetime) -> dict:
    """Log the demo managers' work up to `now` (on `today`, local); flush, never commit.

    Runs after `seed_demo` on its customers: past visits, generated and completed care
    plans, complaints along the loop, open follow-up tasks, and the churn-warning scan
    with some warnings answered, retained or lost. Returns counts of what exists.
    """
    demo = _Demo(seed, today, now)
    _past_visits(demo)
    _past_plans(demo)
    plan_counts = generate_plans(today)
    _complete_todays_plans(demo)
    complaints = _complaints(demo)
    _tasks(demo, complaints)
    scan = scan_warnings(now=now)
    _work_on_warnings(demo)
    return _summary(plan_counts, scan)


# --- visits ---------------------------------------------------------------------


def _weighted_sample(rng: random.Random, items: Sequence[_Customer], k: int) -> list[_Customer]:
    """`k` customers without replacement, higher tiers likelier (Efraimidis-Spirakis keys)."""
    keyed = sorted(items, key=lambda c: rng.random() ** (1 / VISIT_WEIGHTS[c.tier]), reverse=True)
    return keyed[:k]


def _channel(rng: random.Random, customer: _Customer) -> Channel:
    if customer.is_org or customer.tier in ("diamond", "emerald"):
        return rng.choices((Channel.VISIT, Channel.PHONE, Channel.IM), (60, 35, 5))[0]
    return rng.choices((Channel.VISIT, Channel.PHONE, Channel.IM), (25, 65, 10))[0]


def _log(
    demo: _Demo,
    manager: User,
    customer: _Customer,
    talk: _Talk,
    started: datetime,
    channel: Channel,
    *,
    plan_id: uuid.UUID | None = None,
    next_step_due: date | None = None,
) -> Visit:
    rng = demo.rng
    minutes = {Channel.VISIT: (20, 90), Channel.PHONE: (3, 15)}.get(channel, (1, 5))
    ended = started + timedelta(minutes=rng.randint(*minutes))
    if ended > demo.now:
        ended = demo.now
        started = min(started, ended)
    location = demo.fix(customer) if channel == Channel.VISIT else {}
    return create_visit(
        manager,
        db.session.get_one(Customer, customer.id),
        channel=channel,
        started_at=started,
        ended_at=ended,
        purpose=None if plan_id else talk.purpose,
        plan_id=plan_id,
        outcome=talk.outcome,
        notes=talk.notes,
        products_discussed=list(talk.products),
        customer_response=talk.response,
        next_step=talk.next_step if next_step_due else None,
        next_step_due=next_step_due,
        now=demo.logged(ended),
        **location,
    )


def _past_visits(demo: _Demo) -> None:
    """About a quarter of each portfolio contacted over the last 90 days, on working hours."""
    rng, today = demo.rng, demo.today
    with_steps: list[tuple[User, Visit, date]] = []
    for manager in demo.managers:
        portfolio = demo.portfolios[manager.id]
        reachable = [c for c in demo.active(manager) if c.activation_date < today]
        for customer in _weighted_sample(rng, reachable, round(VISIT_SHARE * len(portfolio))):
            oldest = min(HISTORY_DAYS, (today - customer.activation_date).days)
            day = today - timedelta(days=rng.randint(1, oldest))
            if day.weekday() >= 5 and rng.random() < 0.8:
                # Mostly on working days: a weekend visit moves to the Friday before.
                friday = day - timedelta(days=day.weekday() - 4)
                if friday >= max(customer.activation_date, today - timedelta(days=HISTORY_DAYS)):
                    day = friday
            talk = rng.choice(ORG_TALKS if customer.is_org else PERSON_TALKS)
            started = demo.at(day, rng.choice((9, 10, 11, 14, 15, 16, 17)) + rng.random() * 0.75)
            due = None
            if talk.next_step:
                due = day + timedelta(days=rng.randint(2, 10))
            visit = _log(
                demo, manager, customer, talk, started, _channel(rng, customer), next_step_due=due
            )
            if due is not None:
                with_steps.append((manager, visit, due))
    _finish_old_next_steps(demo, with_steps)


def _finish_old_next_steps(demo: _Demo, with_steps: list[tuple[User, Visit, date]]) -> None:
    """Next steps due more than a day ago were done on their due day; newer ones stay open."""
    done_before = demo.today - timedelta(days=OPEN_TASK_DAYS)
    old: dict[uuid.UUID | None, tuple[int, User, date]] = {
        visit.id: (position, manager, due)
        for position, (manager, visit, due) in enumerate(with_steps)
        if due < done_before
    }
    if not old:
        return
    tasks = db.session.scalars(sa.select(Task).where(Task.source_visit_id.in_(list(old))))
    # In the visits' order, not the database's: each draws from the random stream.
    for task in sorted(tasks, key=lambda t: old[t.source_visit_id][0]):
        _position, manager, due = old[task.source_visit_id]
        done_at = min(demo.at(due, 17 + demo.rng.random()), demo.now)
        update_task(manager, task, {"status": TaskStatus.DONE}, now=done_at)


# --- care plans -----------------------------------------------------------------


def _past_plans(demo: _Demo) -> None:
    """Two hand-made marketing plans per manager from a fortnight ago: one done, one missed."""
    rng, today = demo.rng, demo.today
    title, notes = PAST_PLAN
    talk = PERSON_TALKS[1]
    for manager in demo.managers:
        people = [
            c
            for c in demo.active(manager)
            if not c.is_org and c.activation_date < today - timedelta(days=30)
        ]
        done, missed = rng.sample(people, 2)
        for customer in (done, missed):
            plan = create_plan(
                manager,
                db.session.get_one(Customer, customer.id),
                purpose=Purpose.MARKETING,
                channel=Channel.PHONE,
                due_from=today - timedelta(days=12),
                due_to=today - timedelta(days=5),
                title=title,
                notes=notes,
            )
            if customer is done:
                day = today - timedelta(days=rng.randint(6, 11))
                _log(
                    demo,
                    manager,
                    customer,
                    talk,
                    demo.at(day, 10.5),
                    Channel.PHONE,
                    plan_id=plan.id,
                )


def _complete_todays_plans(demo: _Demo) -> None:
    """Each manager has done up to three of today's plans (of different purposes) so far.

    Birthday plans are left for the manager: the demo's agenda should show them.
    """
    today = demo.today
    # Plain rows: a few thousand plans are open today, and only a handful are needed.
    rows = db.session.execute(
        sa.select(CarePlan.id, CarePlan.owner_id, CarePlan.customer_id, CarePlan.purpose)
        .add_columns(CarePlan.channel)
        .join(Customer, Customer.id == CarePlan.customer_id)
        .where(
            CarePlan.status == PlanStatus.PLANNED,
            CarePlan.due_from <= today,
            CarePlan.due_to >= today,
            CarePlan.purpose.in_(list(PLAN_TALKS.keys() - {Purpose.BIRTHDAY})),
        )
        .order_by(Customer.external_no, CarePlan.purpose, CarePlan.due_from)
    ).all()
    by_owner: dict[uuid.UUID, list] = defaultdict(list)
    for row in rows:
        by_owner[row.owner_id].append(row)
    customers = {c.id: c for cs in demo.portfolios.values() for c in cs}
    # The day's contacts so far: only slots already over by `now` (none before 9:30).
    slots = [
        hour for hour in TODAY_SLOTS if demo.at(today, hour) + timedelta(minutes=45) <= demo.now
    ][:3]
    for manager in demo.managers:
        open_plans = by_owner[manager.id]
        purposes: set[Purpose] = set()
        chosen: list = []
        for plan in demo.rng.sample(open_plans, len(open_plans)):
            if len(chosen) == len(slots):
                break
            if plan.purpose not in purposes:
                purposes.add(plan.purpose)
                chosen.append(plan)
        for plan, hour in zip(chosen, slots, strict=False):
            _log(
                demo,
                manager,
                customers[plan.customer_id],
                PLAN_TALKS[plan.purpose],
                demo.at(today, hour + demo.rng.random() / 4),
                plan.channel,
                plan_id=plan.id,
            )


# --- complaints -----------------------------------------------------------------

# The states a complaint is left in. manager1's list is fixed, so the agenda the
# demo opens on always has an overdue complaint, one due within 24 hours and a
# closed one; the others draw theirs.
OVERDUE, DUE_SOON, OPEN, IN_PROGRESS, RESOLVED, INFORMED, CLOSED, REOPENED = (
    "overdue",
    "due_soon",
    "open",
    "in_progress",
    "resolved",
    "informed",
    "closed",
    "reopened",
)
MANAGER1_COMPLAINTS = (OVERDUE, DUE_SOON, CLOSED, RESOLVED, IN_PROGRESS)
STATE_WEIGHTS = {
    OVERDUE: 1.0,
    DUE_SOON: 1.0,
    OPEN: 1.0,
    IN_PROGRESS: 2.0,
    RESOLVED: 1.0,
    INFORMED: 1.0,
    CLOSED: 3.0,
    REOPENED: 0.5,
}
SEVERITIES = {
    OVERDUE: (Severity.MEDIUM, Severity.HIGH),
    DUE_SOON: (Severity.HIGH, Severity.CRITICAL, Severity.MEDIUM),
    OPEN: (Severity.LOW, Severity.MEDIUM),
    IN_PROGRESS: (Severity.LOW, Severity.MEDIUM),
}
# Managers whose first complaint's customer complains twice: complaint pressure.
TWICE = ("manager2", "manager6")
INTAKE_CHANNELS = (
    IntakeChannel.PHONE,
    IntakeChannel.IN_PERSON,
    IntakeChannel.HOTLINE,
    IntakeChannel.IM,
    IntakeChannel.STORE,
)
INTAKE_WEIGHTS = (35, 20, 20, 15, 10)


def _hours(value: float) -> timedelta:
    return timedelta(hours=value)


def _complaints(demo: _Demo) -> dict[uuid.UUID, list[Complaint]]:
    """3-6 complaints per manager, left along the whole loop; returns them by manager."""
    rng = demo.rng
    made: dict[uuid.UUID, list[Complaint]] = {}
    for manager in demo.managers:
        if manager.username == "manager1":
            states = list(MANAGER1_COMPLAINTS)
        else:
            states = rng.choices(
                list(STATE_WEIGHTS), list(STATE_WEIGHTS.values()), k=rng.randint(3, 6)
            )
        customers = rng.sample(demo.active(manager), len(states))
        if manager.username in TWICE:
            customers[1] = customers[0]
        made[manager.id] = [
            _complaint(demo, manager, customer, state)
            for customer, state in zip(customers, states, strict=True)
        ]
    _follow_up_resolved(demo, made)
    return made


def _complaint(demo: _Demo, manager: User, customer: _Customer, state: str) -> Complaint:
    rng, now = demo.rng, demo.now
    if customer.is_org:
        category, description, resolution = rng.choice(ORG_COMPLAINT_TEXTS)
    else:
        category = rng.choice(sorted(COMPLAINT_TEXTS))
        description, resolution = rng.choice(COMPLAINT_TEXTS[category])
    severity = rng.choice(SEVERITIES.get(state, tuple(Severity)))
    factor = current_app.config["COMPLAINT_SEVERITY_FACTORS"][severity.value]
    allowed = _hours(customer.response_hours * factor)

    if state == OVERDUE:
        received = now - allowed - _hours(rng.uniform(3, 40))
    elif state == DUE_SOON:
        received = now - allowed + min(_hours(rng.uniform(2, 20)), allowed / 2)
    elif state in (OPEN, IN_PROGRESS):
        received = now - allowed * rng.uniform(0.1, 0.4)
    else:
        # Old enough for the whole loop to have run its course by now; within the two
        # weeks in which the phone's time is taken without a "late" flag.
        received = now - allowed - _hours(rng.uniform(84, 120))
    complaint = create_complaint(
        manager,
        db.session.get_one(Customer, customer.id),
        category=category,
        severity=severity,
        intake_channel=rng.choices(INTAKE_CHANNELS, INTAKE_WEIGHTS)[0],
        description=description,
        received_at=received,
        now=demo.logged(received, (5, 60)),
    )
    # Left as received: nobody has picked it up yet.
    if rng.random() < {OPEN: 0.5, DUE_SOON: 0.5, OVERDUE: 0.3}.get(state, 0):
        return complaint

    started = min(received + _hours(rng.uniform(0.5, 3)), now - _hours(0.1))
    transition_complaint(manager, complaint, ComplaintStatus.IN_PROGRESS, at=started)
    if state in (OVERDUE, DUE_SOON, OPEN, IN_PROGRESS):
        if rng.random() < 0.6:
            noted = started + (now - started) * rng.uniform(0.2, 0.8)
            add_note(manager, complaint, rng.choice(PROGRESS_NOTES), at=noted)
        return complaint

    # A diamond customer's critical complaint allows an hour: resolving may run past it.
    resolved = max(received + allowed * rng.uniform(0.3, 0.9), started + _hours(0.5))
    transition_complaint(
        manager, complaint, ComplaintStatus.RESOLVED, resolution=resolution, at=resolved
    )
    if state == RESOLVED:
        return complaint
    informed = resolved + _hours(rng.uniform(1, 20))
    transition_complaint(
        manager, complaint, ComplaintStatus.INFORMED, note="已电话告知客户处理结果。", at=informed
    )
    if state == INFORMED:
        return complaint
    closed = informed + _hours(rng.uniform(1, 48))
    satisfaction = 2 if state == REOPENED else rng.choice((3, 4, 5, 5))
    transition_complaint(
        manager, complaint, ComplaintStatus.CLOSED, satisfaction=satisfaction, at=closed
    )
    if state == REOPENED:
        reopened = closed + (now - closed) * rng.uniform(0.3, 0.7)
        transition_complaint(
            manager, complaint, ComplaintStatus.IN_PROGRESS, note=REOPEN_NOTE, at=reopened
        )
    return complaint


def _follow_up_resolved(demo: _Demo, made: dict[uuid.UUID, list[Complaint]]) -> None:
    """A follow-up call is planned for every resolved complaint not yet closed."""
    for manager in demo.managers:
        for complaint in made[manager.id]:
            if complaint.status in (ComplaintStatus.RESOLVED, ComplaintStatus.INFORMED):
                create_plan(
                    manager,
                    complaint.customer,
                    purpose=Purpose.COMPLAINT_FOLLOWUP,
                    channel=Channel.PHONE,
                    due_from=demo.today,
                    due_to=demo.today + timedelta(days=3),
                    title=f"投诉回访：{complaint.category.name_zh}",
                    notes=complaint.description,
                )


# --- tasks ----------------------------------------------------------------------


def _tasks(demo: _Demo, complaints: dict[uuid.UUID, list[Complaint]]) -> None:
    """Two to four open follow-ups per manager; manager1's first one is overdue."""
    rng, today = demo.rng, demo.today
    for manager in demo.managers:
        templates = rng.sample(TASK_TEMPLATES, rng.randint(2, 4))
        if manager.username == "manager1":
            templates = [(OVERDUE_TASK, True), *(t for t in templates if t[0] != OVERDUE_TASK)]
        for position, (title, with_customer) in enumerate(templates):
            due = today + timedelta(days=rng.randint(-1, 6))
            if manager.username == "manager1" and position == 0:
                due = today - timedelta(days=2)
            customer = rng.choice(demo.active(manager)) if with_customer else None
            create_task(
                manager,
                title=title,
                customer_id=customer.id if customer else None,
                due_date=due,
                # Made when it was still ahead (the demo's day may not be the clock's).
                today=min(due, today),
            )
        # A call back on a complaint still in the loop, when there is one.
        unfinished = [c for c in complaints[manager.id] if c.status != ComplaintStatus.CLOSED]
        if unfinished:
            create_task(
                manager,
                title=COMPLAINT_TASK,
                source_complaint_id=rng.choice(unfinished).id,
                due_date=today + timedelta(days=rng.randint(0, 3)),
                today=today,  # the demo's day, which may be behind the clock's
            )


# --- churn warnings -------------------------------------------------------------

# Who loses a customer in the demo, so the churned list and its win-back plans show.
CHURNING = ("manager1", "manager5")


def _cause(warning: ChurnWarning) -> tuple[str, str]:
    reason = (warning.reasons or [{}])[0]
    code = reason.get("code")
    if code == "complaint_pressure":
        return RETENTION["complaint_pressure"]
    return RETENTION.get(reason.get("service"), RETENTION[None])


def _work_on_warnings(demo: _Demo) -> None:
    """About a third of each manager's open warnings answered, some retained; two lost."""
    rng, now = demo.rng, demo.now
    rows = db.session.execute(
        sa.select(ChurnWarning, Customer.manager_id)
        .join(Customer, Customer.id == ChurnWarning.customer_id)
        .where(ChurnWarning.status == WarningStatus.OPEN)
        .order_by(Customer.external_no)
    ).all()
    by_manager: dict[uuid.UUID | None, list[ChurnWarning]] = defaultdict(list)
    for warning, manager_id in rows:
        by_manager[manager_id].append(warning)
    for manager in demo.managers:
        warnings = by_manager[manager.id]
        if not warnings:
            continue
        warnings = rng.sample(warnings, len(warnings))
        answered = warnings[: max(1, round(len(warnings) / 3))]
        for warning in answered:
            cause, plan = _cause(warning)
            answer = {"cause_analysis": cause, "retention_plan": plan}
            answer_warning(manager, warning, answer, at=now)
        # Keep at least one warning open on every manager's agenda.
        retained = answered[: len(answered) // 2] if len(warnings) > 1 else []
        for warning in retained:
            resolve_warning(manager, warning, Outcome.RETAINED, note=RETAINED_NOTE, at=now)
        if manager.username in CHURNING and len(warnings) - len(retained) > 2:
            resolve_warning(
                manager,
                warnings[-1],
                Outcome.CHURNED,
                exit_reason=EXIT_REASONS[CHURNING.index(manager.username)],
                at=now,
            )


# --- summary --------------------------------------------------------------------


def _count_by(column) -> dict[str, int]:
    rows = db.session.execute(sa.select(column, sa.func.count()).group_by(column))
    return {str(getattr(key, "value", key)): n for key, n in sorted(rows, key=lambda r: str(r[0]))}


def _summary(plan_counts: dict[str, int], scan: dict) -> dict:
    visits = db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) or 0
    return {
        "visits": visits,
        "plans_generated": {k: v for k, v in plan_counts.items() if k != "missed"},
        "plans": _count_by(CarePlan.purpose),
        "plan_statuses": _count_by(CarePlan.status),
        "complaints": _count_by(Complaint.status),
        "tasks": _count_by(Task.status),
        "warnings_opened": scan["warnings_opened"],
        "warnings": _count_by(ChurnWarning.status),
        "warnings_answered_open": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ChurnWarning)
            .where(ChurnWarning.status == WarningStatus.OPEN, ChurnWarning.answered_at.is_not(None))
        )
        or 0,
    }
